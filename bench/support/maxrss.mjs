// Preloaded into a child (`node --import ./bench/support/maxrss.mjs …`): prints its peak RSS (kB) on exit.
process.on('exit', () => process.stderr.write(`\nmaxrss-kb ${process.resourceUsage().maxRSS}\n`));
