import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { AccountIdSchema, AccountSchema, StoredNumberSchema } from '../../shared/schemas/account';
import { ImportRecordSchema } from '../../shared/schemas/import';
import { lazy, prebuild } from '../../shared/schemas/lazy';

/** The same schemas twice: built at once, and through lazy() stand-ins (a shape, a union, a pipe, checks). */
function pair(wrap: <T extends object>(build: () => T) => T) {
  const Id = wrap(() => z.string().regex(/^[A-Z]{2}-\d+$/, 'an id'));
  const Amount = wrap(() =>
    z.preprocess((v) => (typeof v === 'string' ? Number(v) : v), z.number().min(0).max(100)),
  );
  const Kind = wrap(() => z.enum(['A', 'B']));
  const Item = wrap(() =>
    z.strictObject({ id: Id, amount: Amount.optional(), kind: Kind, tags: z.array(z.string()).max(2) }),
  );
  const Event = wrap(() =>
    z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('ADD'), item: Item }),
      z.strictObject({ type: z.literal('DROP'), id: Id }),
    ]),
  );
  return { Id, Amount, Kind, Item, Event };
}
const eager = pair((build) => build());
const lazily = pair(lazy);

const samples: unknown[] = [
  { type: 'ADD', item: { id: 'AB-1', amount: '5', kind: 'A', tags: [] } },
  { type: 'ADD', item: { id: 'ab-1', amount: 500, kind: 'C', tags: ['x', 'y', 'z'], extra: 1 } },
  { type: 'DROP', id: 'CD-22' },
  { type: 'DROP' },
  { type: 'OTHER' },
  null,
  'text',
];

describe('lazy(): a schema built on first use is the same schema', () => {
  it('builds once, on first use, not when made', () => {
    let builds = 0;
    const S = lazy(() => {
      builds += 1;
      return z.string().min(2);
    });
    expect(builds).toBe(0);
    expect(S.safeParse('ab').success).toBe(true);
    expect(S.safeParse('a').success).toBe(false);
    expect(builds).toBe(1);
  });

  it('parses, refuses and reports exactly as the schema built at once', () => {
    for (const v of samples) {
      const a = eager.Event.safeParse(v);
      const b = lazily.Event.safeParse(v);
      expect(b.success, JSON.stringify(v)).toBe(a.success);
      expect(b.data).toEqual(a.data);
      expect(b.error?.issues).toEqual(a.error?.issues);
    }
  });

  it('is an instance of its kind and keeps its methods (optional, extend, shape, min)', () => {
    expect(lazily.Item).toBeInstanceOf(z.ZodObject);
    expect(lazily.Kind).toBeInstanceOf(z.ZodEnum);
    expect(Object.keys(lazily.Item.shape)).toEqual(['id', 'amount', 'kind', 'tags']);
    const Wider = lazily.Item.extend({ note: z.string() });
    expect(Wider.safeParse({ id: 'AB-1', kind: 'B', tags: [], note: 'n' }).success).toBe(true);
    expect(lazily.Id.optional().safeParse(undefined).success).toBe(true);
    expect(StoredNumberSchema.min(0).safeParse(-1).success).toBe(false);
  });

  it('converts to the same JSON Schema, stand-ins inside included (one object: no copy behind it)', () => {
    const opts = { io: 'input', unrepresentable: 'any' } as const;
    expect(z.toJSONSchema(lazily.Event, opts)).toEqual(z.toJSONSchema(eager.Event, opts));
    expect(() => z.toJSONSchema(ImportRecordSchema, opts)).not.toThrow();
  });

  it('the project schemas behave: an account id, an account', () => {
    expect(AccountIdSchema.safeParse('ACC-123456').success).toBe(true);
    expect(AccountIdSchema.safeParse('x').success).toBe(false);
    expect(AccountSchema.safeParse({}).success).toBe(false);
  });

  it('a build that throws throws again at the next use', () => {
    let calls = 0;
    const S = lazy((): z.ZodString => {
      calls += 1;
      throw new Error('bad schema');
    });
    expect(() => S.parse('x')).toThrow('bad schema');
    expect(() => S.parse('x')).toThrow('bad schema');
    expect(calls).toBe(2);
  });
});

describe('prebuild(): the schemas a function always parses with, built at init', () => {
  it('builds the schema and every lazy schema it is made of', () => {
    const built: string[] = [];
    const counted = <T extends object>(name: string, build: () => T) =>
      lazy(() => {
        built.push(name);
        return build();
      });
    const Leaf = counted('leaf', () => z.string());
    const Listed = counted('listed', () => z.number());
    const Optional = counted('optional', () => z.boolean());
    const Root = counted('root', () =>
      z.object({ a: Leaf, b: z.array(Listed), c: z.union([Optional.optional(), z.null()]) }),
    );
    const Unused = counted('unused', () => z.string());
    expect(built).toEqual([]);
    prebuild(Root);
    expect(built.sort()).toEqual(['leaf', 'listed', 'optional', 'root']);
    expect(Unused.safeParse('x').success).toBe(true);
  });
});
