import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { SyntaxKind } from 'typescript/unstable/ast';
import { createVirtualFileSystem } from 'typescript/unstable/fs';
import { API, type Program } from 'typescript/unstable/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The import graph is read by the TypeScript 7 compiler itself (its `unstable/sync` API drives the
// native tsgo binary): each file's `imports` are the module specifiers the parser collected, static
// and dynamic, so strings, comments and `typeof import()` are told apart the way tsc tells them.

const ROOT = resolve(import.meta.dirname, '../..');
const GRAPH_DIRS = ['functions', 'shared', 'infra'];

type Kind = 'runtime' | 'type';
interface Edge {
  from: string;
  /** A repository-relative file for a relative specifier, else the package specifier itself. */
  to: string;
  kind: Kind;
}
interface Graph {
  edges: Edge[];
  unresolved: string[];
}

const files = (root: string, dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(root, join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

/** Module resolution as bundler resolution sees our tree: `x` → `x.ts` or `x/index.ts`. */
const resolveRelative = (
  from: string,
  spec: string,
  exists: (file: string) => boolean,
): string | undefined => {
  const base = posix.join(posix.dirname(from), spec);
  const candidates = [base, `${base}.ts`, `${base}/index.ts`, base.replace(/\.js$/, '.ts')];
  return candidates.find((c) => /\.(ts|json)$/.test(c) && exists(c));
};

/**
 * `import type` / `export type … from` / `typeof import('…')` are type edges; everything else loads at
 * run time. Under `verbatimModuleSyntax`, `import { type A } from 'x'` still loads `x`, so it is runtime.
 */
const kindOf = (specifier: { parent: unknown }): Kind | 'dynamic' => {
  const parent = specifier.parent as { kind: SyntaxKind; parent?: { kind: SyntaxKind } } & Record<
    string,
    unknown
  >;
  switch (parent.kind) {
    case SyntaxKind.ImportDeclaration: {
      const clause = parent.importClause as { phaseModifier?: SyntaxKind } | undefined;
      return clause?.phaseModifier === SyntaxKind.TypeKeyword ? 'type' : 'runtime';
    }
    case SyntaxKind.ExportDeclaration:
      return parent.isTypeOnly ? 'type' : 'runtime';
    case SyntaxKind.CallExpression:
      return 'dynamic';
    case SyntaxKind.LiteralType:
      if (parent.parent?.kind === SyntaxKind.ImportType) return 'type';
      break;
    case SyntaxKind.ExternalModuleReference:
      return 'runtime';
  }
  throw new Error(`unknown import form (SyntaxKind ${parent.kind})`);
};

const buildGraph = (
  program: Program,
  root: string,
  sources: string[],
  exists: (file: string) => boolean,
): Graph => {
  const edges: Edge[] = [];
  const unresolved: string[] = [];
  for (const from of sources) {
    const sf = program.getSourceFile(join(root, from));
    if (!sf) throw new Error(`${from} is not in the TypeScript program (tsconfig include)`);
    for (const specifier of sf.imports) {
      const spec = (specifier as unknown as { text: string }).text;
      const kind = kindOf(specifier);
      let to = spec;
      if (spec.startsWith('.')) {
        const file = resolveRelative(from, spec, exists);
        if (!file) {
          unresolved.push(`${from} → '${spec}'`);
          continue;
        }
        to = file;
      }
      edges.push({ from, to, kind: kind === 'dynamic' ? 'runtime' : kind });
    }
  }
  return { edges, unresolved };
};

/** Tarjan's strongly connected components over the internal (file) edges; returns each cycle as a path. */
const findCycles = (edges: readonly Edge[]): string[][] => {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || next.get(v)?.includes(v)) components.push(component);
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  // Print a concrete cycle through each component: the shortest path from its first member back to it.
  return components.map((component) => {
    const members = new Set(component);
    const start = [...members].sort()[0]!;
    const previous = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of next.get(v) ?? []) {
        if (!members.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let u = v; u !== start; u = previous.get(u)!) path.splice(1, 0, u);
          return [...path, start];
        }
        if (!previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    return [...component, component[0]!];
  });
};

/** Runtime modules reachable from `start`, each with the import chain that reaches it. */
const runtimeReach = (edges: readonly Edge[], start: string): Map<string, string[]> => {
  const chains = new Map<string, string[]>([[start, [start]]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const e of edges) {
      if (e.from !== v || e.kind !== 'runtime' || chains.has(e.to)) continue;
      chains.set(e.to, [...chains.get(v)!, e.to]);
      queue.push(e.to);
    }
  }
  return chains;
};

const show = (edges: readonly Edge[]) => edges.map((e) => `${e.from} → ${e.to} (${e.kind})`).join('\n');
const internal = (e: Edge) => e.to.endsWith('.ts') && GRAPH_DIRS.some((d) => e.to.startsWith(`${d}/`));

let api: API;
let graph: Graph;
beforeAll(() => {
  api = new API({ cwd: ROOT });
  const [project] = api.updateSnapshot({ openProjects: [join(ROOT, 'tsconfig.json')] }).getProjects();
  if (!project) throw new Error('tsconfig.json opened no project');
  const sources = GRAPH_DIRS.flatMap((d) => files(ROOT, d));
  graph = buildGraph(project.program, ROOT, sources, (f) => existsSync(join(ROOT, f)));
});
afterAll(() => api?.close());

describe('dependency rules over the real import graph of functions/, shared/, infra/', () => {
  it('reads the graph: every relative specifier resolves to a file', () => {
    expect(graph.edges.length).toBeGreaterThan(100);
    expect(graph.unresolved, graph.unresolved.join('\n')).toEqual([]);
  });

  it('the domain imports only the domain, schemas as types, and pure packages', () => {
    // Pure: no I/O, no clock of their own (luxon's dates and zones, a ZIP code's time zone from a table).
    const purePackages = ['node:crypto', 'zod', 'luxon', 'zipcode-to-timezone'];
    // The one runtime edge into the schemas: the expression language is part of the configuration
    // contract (the schema checks expressions when a configuration is parsed) and the domain
    // evaluates in that same environment, so what was checked and what runs cannot disagree.
    const evaluatesTheContractsLanguage = (e: Edge) =>
      e.from === 'shared/domain/expressions.ts' && e.to === 'shared/schemas/expressions.ts';
    // The churn model's features are part of the model document's contract (the schema checks a
    // document names them, in order); the domain computes them and trains over that same list.
    const computesTheModelsFeatures = (e: Edge) =>
      ['shared/domain/churn.ts', 'shared/domain/churn-training.ts'].includes(e.from) &&
      e.to === 'shared/schemas/churn.ts';
    const bad = graph.edges.filter(
      (e) =>
        e.from.startsWith('shared/domain/') &&
        !e.to.startsWith('shared/domain/') &&
        !(e.to.startsWith('shared/schemas/') && e.kind === 'type') &&
        !evaluatesTheContractsLanguage(e) &&
        !computesTheModelsFeatures(e) &&
        !purePackages.includes(e.to),
    );
    expect(bad, `domain imports outside the domain:\n${show(bad)}`).toEqual([]);
  });

  it('schemas import only zod and schemas (and the CEL parser, in the expression language only)', () => {
    const celParser = (e: Edge) =>
      e.from === 'shared/schemas/expressions.ts' && e.to === '@marcbachmann/cel-js';
    const bad = graph.edges.filter(
      (e) =>
        e.from.startsWith('shared/schemas/') &&
        !e.to.startsWith('shared/schemas/') &&
        e.to !== 'zod' &&
        !celParser(e),
    );
    expect(bad, `schema imports outside zod and the schemas:\n${show(bad)}`).toEqual([]);
  });

  it('channels (HTTP, Connect, Lex) import application, domain, schemas, ports and zod: no adapter, no AWS SDK', () => {
    const layers = ['channels', 'application', 'domain', 'schemas', 'ports'].map((l) => `shared/${l}/`);
    const from = graph.edges.filter((e) => e.from.startsWith('shared/channels/'));
    expect(from.length).toBeGreaterThan(10);
    const bad = from.filter((e) => !layers.some((l) => e.to.startsWith(l)) && e.to !== 'zod');
    expect(bad, `channel imports outside their layers:\n${show(bad)}`).toEqual([]);
  });

  it('nothing in domain, application or ports imports a channel, not even a type', () => {
    const bad = graph.edges.filter(
      (e) => /^shared\/(domain|application|ports)\//.test(e.from) && e.to.startsWith('shared/channels/'),
    );
    expect(bad, `imports of the channel layer from below it:\n${show(bad)}`).toEqual([]);
  });

  it('functions take their adapters from the composition root only, and no AWS SDK', () => {
    // The logger and the metrics are how a function reports; they build no client and read no env.
    const allowed = ['composition', 'logger', 'metrics', 'task-handler'].map(
      (m) => `shared/adapters/${m}.ts`,
    );
    const bad = graph.edges.filter(
      (e) =>
        e.from.startsWith('functions/') &&
        ((e.to.startsWith('shared/adapters/') && !allowed.includes(e.to)) || e.to.startsWith('@aws-sdk/')),
    );
    expect(bad, `functions build their own adapters:\n${show(bad)}`).toEqual([]);
    const reads = files(ROOT, 'functions').filter((f) =>
      /process\.env|requireEnv|new \w+Client\(/.test(readFileSync(join(ROOT, f), 'utf8')),
    );
    expect(reads, 'functions reading env or making clients').toEqual([]);
  });

  it.each(files(ROOT, 'functions'))("%s runs under middy with the logger's Lambda context", (f) => {
    const reach = runtimeReach(graph.edges, f);
    expect([...reach.keys()]).toEqual(
      expect.arrayContaining(['@middy/core', '@aws-lambda-powertools/logger/middleware']),
    );
    // Its handler is middy: directly, or through taskHandler / channelHandler (shared/adapters/task-handler.ts).
    expect(readFileSync(join(ROOT, f), 'utf8')).toMatch(/middy<|taskHandler\(|channelHandler\(/);
  });

  it('no runtime import cycle anywhere', () => {
    const cycles = findCycles(graph.edges.filter((e) => internal(e) && e.kind === 'runtime'));
    expect(cycles, `runtime import cycles:\n${cycles.map((c) => c.join(' → ')).join('\n')}`).toEqual([]);
  });

  it('no import cycle even through `import type` edges', () => {
    const cycles = findCycles(graph.edges.filter(internal));
    expect(
      cycles,
      `import cycles (type edges included):\n${cycles.map((c) => c.join(' → ')).join('\n')}`,
    ).toEqual([]);
  });

  it('infra code that runs at synth loads no adapter and no AWS SDK, directly or through application code', () => {
    const synth = files(ROOT, 'infra').filter(
      (f) => ['infra/app.ts', 'infra/build-app.ts'].includes(f) || /^infra\/(stacks|constructs)\//.test(f),
    );
    expect(synth).toContain('infra/app.ts');
    const forbidden = (m: string) => m.startsWith('shared/adapters/') || m.startsWith('@aws-sdk/');
    // One chain per edge that crosses into forbidden code (the shortest seen), not one per module behind it.
    const crossings = new Map<string, string[]>();
    for (const f of synth)
      for (const [to, chain] of runtimeReach(graph.edges, f)) {
        const at = chain.findIndex(forbidden);
        if (!forbidden(to) || at !== chain.length - 1) continue;
        const edge = `${chain[at - 1]} → ${to}`;
        if ((crossings.get(edge)?.length ?? Infinity) > chain.length) crossings.set(edge, chain);
      }
    const bad = [...crossings.values()].map((chain) => chain.join(' → ')).sort();
    expect(bad, `synth loads:\n${bad.join('\n')}`).toEqual([]);
  });

  it('no Lambda entry point loads seed data (data/) or the local runtime and test fakes that read it', () => {
    // The default configuration, the personas and the portfolio archetypes are JSON files their
    // modules parse with zod when imported: a function that loaded one would pay for it at every cold
    // start, and decide with a configuration other than the active one in the catalog table.
    const bad = files(ROOT, 'functions').flatMap((f) =>
      [...runtimeReach(graph.edges, f).values()]
        .filter((chain) => /^(data|infra|test)\//.test(chain.at(-1)!))
        .map((chain) => chain.join(' → ')),
    );
    expect(bad, `functions load:\n${bad.join('\n')}`).toEqual([]);
  });
});

describe('the cycle finder can fail', () => {
  it('reports a cycle planted in two in-memory modules, read by the same parser, and not a type-only one', () => {
    const root = '/planted';
    const sources: Record<string, string> = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { noLib: true, types: [] }, include: ['*.ts'] }),
      'a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'b.ts': "import { a } from './a';\nexport const b = () => a;\n",
      'c.ts': "import type { d } from './d';\nexport const c = (x: d) => x;\n",
      'd.ts': "import { c } from './c';\nexport type d = ReturnType<typeof c>;\nexport const e = c;\n",
    };
    const fs = createVirtualFileSystem(
      Object.fromEntries(Object.entries(sources).map(([f, t]) => [`${root}/${f}`, t])),
    );
    const planted = new API({ cwd: root, fs });
    try {
      const [project] = planted.updateSnapshot({ openProjects: [`${root}/tsconfig.json`] }).getProjects();
      const names = Object.keys(sources).filter((f) => f.endsWith('.ts'));
      const { edges } = buildGraph(project!.program, root, names, (f) => f in sources);
      expect(findCycles(edges.filter((e) => e.kind === 'runtime'))).toEqual([['a.ts', 'b.ts', 'a.ts']]);
      expect(findCycles(edges)).toEqual([
        ['a.ts', 'b.ts', 'a.ts'],
        ['c.ts', 'd.ts', 'c.ts'],
      ]);
    } finally {
      planted.close();
    }
  });
});

describe('purity and shape', () => {
  it.each(files(ROOT, 'shared/domain'))('%s reads no env, clock or randomness', (f) => {
    expect(readFileSync(join(ROOT, f), 'utf8')).not.toMatch(
      /process\.env|Date\.now\(|Math\.random\(|new Date\(\)/,
    );
  });
  it('application and ports import no AWS SDK and no adapter (adapters do)', () => {
    const bad = graph.edges.filter(
      (e) =>
        /^shared\/(application|ports)\//.test(e.from) &&
        (e.to.startsWith('@aws-sdk/') || e.to.startsWith('shared/adapters/')),
    );
    expect(bad, show(bad)).toEqual([]);
  });
  it.each(files(ROOT, 'functions'))('%s is an entry point exporting makeHandler and handler', (f) => {
    const text = readFileSync(join(ROOT, f), 'utf8');
    expect(text).toMatch(/export const makeHandler/);
    // The real handler is built on first invocation, from the composition root.
    expect(text).toMatch(/export const handler = lazyHandler\(/);
  });
  it('importing a function module builds nothing: the env the composition root reads is not needed yet', async () => {
    const root = readFileSync(join(ROOT, 'shared/adapters/composition.ts'), 'utf8');
    const vars = [...root.matchAll(/requireEnv\('(\w+)'\)/g)].map((m) => m[1]!);
    expect(vars).toContain('STATE_MACHINE_ARN');
    for (const v of vars) vi.stubEnv(v, '');
    try {
      for (const f of files(ROOT, 'functions')) {
        const mod = (await import(join(ROOT, f))) as { handler?: unknown };
        expect(typeof mod.handler, f).toBe('function');
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
