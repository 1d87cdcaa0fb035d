#!/usr/bin/env node
// Entry point: runs the compiled CLI (built by `npm install` through the `prepare` script).
import { exitQuietlyOnClosedPipe, main } from "../dist/interface/cli/main.js";

exitQuietlyOnClosedPipe(process.stdout);
exitQuietlyOnClosedPipe(process.stderr);

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`pyagent: unexpected error: ${error?.stack ?? error}\n`);
    process.exitCode = 70;
  },
);
