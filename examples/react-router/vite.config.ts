import { reactRouter } from "@react-router/dev/vite";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [reactRouter()],
  // The library and the shared demo live outside this folder.
  server: { fs: { allow: ["../.."] } },
});
