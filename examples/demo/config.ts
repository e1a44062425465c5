/**
 * Reads the demo's configuration from environment variables, the same way on
 * every runtime.
 *
 * - `PORT`: the port on 127.0.0.1 (default 8000);
 * - `SESSION_STORE`: where sessions live (`memory`, the default);
 * - `SESSION_TTL`: the idle timeout in seconds (default 1800); the absolute
 *   timeout is 12 hours, or `SESSION_TTL` when that is longer.
 *
 * @module
 */
import { MemoryStore, type SessionManagerOptions } from "../../mod.ts";

/** What the demo needs to start. */
export interface DemoConfig {
  port: number;
  sessions: SessionManagerOptions;
}

/**
 * Builds the demo configuration from environment variables.
 *
 * @param env Looks up one variable.
 * @throws {Error} With a message for the person starting the demo.
 */
export function readDemoConfig(
  env: (name: string) => string | undefined,
): DemoConfig {
  const port = wholeNumber(env, "PORT", 8000, 0, 65535);
  const store = env("SESSION_STORE") || "memory";
  if (store !== "memory") {
    throw new Error(
      `SESSION_STORE must be "memory", received ${JSON.stringify(store)}`,
    );
  }
  const sessions: SessionManagerOptions = { store: new MemoryStore() };
  if (env("SESSION_TTL")) {
    const ttl = wholeNumber(env, "SESSION_TTL", 0, 1, 10 * 365 * 86400);
    sessions.idleTimeoutSeconds = ttl;
    sessions.absoluteTimeoutSeconds = Math.max(ttl, 12 * 60 * 60);
  }
  return { port, sessions };
}

function wholeNumber(
  env: (name: string) => string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env(name);
  if (!text) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new Error(
      `${name} must be a whole number from ${min} to ${max}, received ${
        JSON.stringify(text)
      }`,
    );
  }
  return value;
}
