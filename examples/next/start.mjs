// Starts the production build (`next start`) on 127.0.0.1 and prints
// "listening on http://127.0.0.1:<port>/" once it answers, as every demo
// does. PORT=0 (the tests) picks a free port first, since `next start`
// does not report the port it was given by the system.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const HOST = "127.0.0.1";
const dir = fileURLToPath(new URL(".", import.meta.url));
const next = fileURLToPath(
  new URL("node_modules/next/dist/bin/next", import.meta.url),
);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const requested = Number(process.env.PORT || 8000);
const port = requested === 0 ? await freePort() : requested;
const child = spawn(
  process.execPath,
  [next, "start", "-H", HOST, "-p", String(port)],
  {
    cwd: dir,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PORT: String(port) },
    stdio: ["ignore", "pipe", "inherit"],
  },
);
let announced = false;
child.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  if (!announced && /Ready in/.test(chunk.toString())) {
    announced = true;
    console.log(`sesame demo on Next.js listening on http://${HOST}:${port}/`);
  }
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
