// The backends every behaviour test runs on, and a manager over one of them
// driven through a cookie jar: shared by the manager's behaviour tests.
import {
  createSessionManager,
  type SessionManagerOptions,
} from "../src/manager.ts";
import { SealedCookieStore } from "../src/stores/sealed_cookie.ts";
import type { SessionStore } from "../src/store.ts";
import { CookieJar } from "./_cookie_jar.ts";
import { FakeClock } from "./_fake_clock.ts";
import {
  type Recording,
  recordingMemoryStore,
  RecordingStore,
} from "./_stores.ts";

export const URL = "http://app.test/";

/** A store that records the calls made to it, and the keys they were for. */
export type TestStore = SessionStore & Recording;

export type MakeStore = (now: () => number) => TestStore;

/** The behaviour tests run on both of the manager's paths. */
export const BACKENDS: { name: string; makeStore: MakeStore; sync: boolean }[] =
  [
    { name: "fast path", makeStore: recordingMemoryStore, sync: true },
    {
      name: "async path",
      makeStore: (now) => new RecordingStore({ now, inProcess: true }),
      sync: false,
    },
  ];

/** Stores whose managers `setupWith()` makes with `encryptAtRest`. */
const ENCRYPTED = new WeakSet<object>();

/**
 * The backends every behaviour test runs on: the store backend on both of
 * its paths, the store backend encrypting at rest, and the sealed cookie
 * store's.
 */
export const EVERY_BACKEND: {
  name: string;
  makeStore: (now: () => number) => SessionStore | SealedCookieStore;
  sealed?: boolean;
}[] = [
  ...BACKENDS,
  {
    name: "async path, encrypted at rest",
    makeStore: (now) => {
      const store = new RecordingStore({ now, inProcess: true });
      ENCRYPTED.add(store);
      return store;
    },
  },
  {
    name: "sealed cookie",
    sealed: true,
    makeStore: () =>
      new SealedCookieStore({
        secrets: ["a test secret of at least 32 characters"],
      }),
  },
];

export type Data = { count: number; user: string; cart: string[] };

export function setupWith<Store extends SessionStore | SealedCookieStore>(
  makeStore: (now: () => number) => Store,
  options: SessionManagerOptions = {},
) {
  const clock = new FakeClock();
  const store = makeStore(clock.now);
  const sessions = createSessionManager<Data, { notice: string }>({
    store,
    now: clock.now,
    ...(ENCRYPTED.has(store) ? { encryptAtRest: true } : {}),
    ...options,
  });
  const jar = new CookieJar();
  /** Runs one request through the manager, carrying cookies in the jar. */
  async function visit(
    run: (
      session: Awaited<ReturnType<typeof sessions.load>>,
    ) => unknown = () => {},
  ) {
    const session = await sessions.load(jar.request(URL));
    await run(session);
    const setCookie = await session.commit();
    jar.store(setCookie);
    return { session, setCookie };
  }
  return { clock, store, sessions, jar, visit };
}
