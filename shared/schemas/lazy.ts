/**
 * A schema built on first use instead of at import. zod 4 builds each schema (and each `.min()`,
 * `.optional()`, … of it) as an object with its checks and parser state, and compiles zod's code for
 * each kind of schema the first time one is built: importing every schema module cost each function
 * tens of milliseconds of its cold start, for schemas most of its requests never use (a SaveTurn
 * whose write goes through parses nothing; an admin route reads one body).
 *
 * `lazy(build)` answers a stand-in that becomes the schema the first time anything touches it (a
 * parse, a method, being read by another schema as it parses or converts to JSON Schema): `build()`
 * runs once, and zod's constructor for that kind of schema is run again on the stand-in itself, over
 * the same definition, the way zod's own `clone()` makes a schema from a definition. So there is one
 * object, the stand-in: zod's closures, its JSON Schema conversion and its `instanceof` all see
 * that one, never a copy behind it. test/unit/lazy-schemas.test.ts checks it against zod.
 *
 * `build` must not touch the schema it builds (a recursive schema uses `z.lazy`).
 */
export function lazy<T extends object>(build: () => T): T {
  const target = {};
  let state: 'new' | 'building' | 'built' = 'new';
  const ensure = () => {
    if (state !== 'new') return;
    state = 'building';
    try {
      const made = build() as unknown as ZodInternals;
      const { constr, def, parent } = made._zod;
      Object.setPrototypeOf(target, Object.getPrototypeOf(made));
      constr.call(standIn, def);
      if (parent) (standIn as unknown as ZodInternals)._zod.parent = parent;
      state = 'built';
      // Built: the traps go, and the stand-in forwards every operation to its target on its own.
      for (const trap of TRAPS) delete handler[trap];
    } finally {
      // A build that threw is tried again at the next use (and fails the same way).
      if (state === 'building') state = 'new';
    }
  };
  // Until it is built, every operation on the stand-in builds it first, then is the same operation on its target.
  const handler: ProxyHandler<object> = {};
  for (const trap of TRAPS)
    (handler as Record<string, unknown>)[trap] = (...args: unknown[]) => {
      ensure();
      return (Reflect[trap] as (...a: unknown[]) => unknown)(...args);
    };
  const standIn = new Proxy(target, handler) as T;
  return standIn;
}

const TRAPS = [
  'get',
  'set',
  'has',
  'ownKeys',
  'getOwnPropertyDescriptor',
  'defineProperty',
  'deleteProperty',
  'getPrototypeOf',
  'setPrototypeOf',
  'isExtensible',
  'preventExtensions',
] as const;

/** What every zod 4 schema carries: the constructor of its kind and its definition (what `clone()` reads). */
interface ZodInternals {
  _zod: { constr: (this: unknown, def: unknown) => unknown; def: unknown; parent?: unknown };
}

/**
 * Builds lazy schemas now, with every schema they are made of (their definitions walked): for a
 * function whose every cold start parses with them, at module init rather than inside its first
 * request, so init measures what the function needs before it can answer (moving that cost to the
 * first call would only hide it).
 */
export function prebuild(...schemas: object[]): void {
  const seen = new Set<unknown>();
  const visit = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
      return;
    }
    // Reading `_zod` builds a lazy schema; a shape or a list of options is walked for its schemas.
    const def = (v as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    for (const x of Object.values(def ?? (v as Record<string, unknown>))) visit(x);
  };
  for (const s of schemas) visit(s);
}
