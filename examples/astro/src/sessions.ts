/**
 * The demo's session manager, configured from the environment when the
 * server starts (as every demo is: see `../../demo/config.ts`).
 *
 * @module
 */
import { createSessionManager } from "../../../mod.ts";
import { readDemoConfig } from "../../demo/config.ts";
import { connectIoredis, connectIoredisCluster } from "../../demo/ioredis.ts";
import type { DemoData } from "../../demo/routes.ts";

let config;
try {
  config = await readDemoConfig((name) => process.env[name], {
    name: "Node",
    redis: connectIoredis,
    redisCluster: connectIoredisCluster,
  });
} catch (error) {
  console.error(`Cannot start the demo: ${(error as Error).message}`);
  process.exit(1);
}

/** The sessions of the demo. */
export const sessions = createSessionManager<DemoData>(config.sessions);
