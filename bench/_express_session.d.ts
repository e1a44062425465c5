// The part of express-session's API that the benchmark uses: the package
// ships no types, and @types/express-session is not installed.

/** A connect middleware: `(req, res, next)`. */
type Middleware = (
  req: unknown,
  res: unknown,
  next: (error?: unknown) => void,
) => void;

interface SessionOptions {
  secret: string | string[];
  name?: string;
  resave?: boolean;
  saveUninitialized?: boolean;
  rolling?: boolean;
  store?: unknown;
  cookie?: {
    maxAge?: number;
    sameSite?: "lax" | "strict" | "none" | boolean;
    httpOnly?: boolean;
    secure?: boolean;
    path?: string;
  };
}

declare const session: {
  (options: SessionOptions): Middleware;
  MemoryStore: new () => unknown;
};

export default session;
