/**
 * Refuses each item whose `key` repeats an earlier one's, at `[...path, index, key]`: the ids of a
 * configuration (offers, strategies, a strategy's stages) name one thing each.
 */
export function refuseDuplicates<T, K extends keyof T & string>(
  ctx: { addIssue(issue: { code: 'custom'; path: (string | number)[]; message: string }): void },
  items: readonly T[],
  path: (string | number)[],
  key: K,
): void {
  const seen = new Set<unknown>();
  items.forEach((item, i) => {
    const id = item[key];
    if (seen.has(id))
      ctx.addIssue({ code: 'custom', path: [...path, i, key], message: `duplicate ${key} ${String(id)}` });
    seen.add(id);
  });
}
