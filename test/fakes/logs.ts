/**
 * Captures the functions' structured log lines (Powertools writes INFO to stdout and ERROR to
 * stderr: both are read) and their embedded-metric lines (`{"_aws"…`), so a test can check what was
 * logged. Other output passes through.
 */
export function captureLogs(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const writes = streams.map((s) => s.write.bind(s));
  streams.forEach((stream, i) => {
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = String(chunk);
      if (text.startsWith('{"level"') || text.startsWith('{"_aws"')) {
        lines.push(text);
        return true;
      }
      return writes[i]!(chunk as never, ...(rest as []));
    }) as typeof stream.write;
  });
  return {
    lines,
    restore: () =>
      streams.forEach((stream, i) => {
        stream.write = writes[i]!;
      }),
  };
}
