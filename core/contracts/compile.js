// compile.js - compiles core/contracts/*.sol with the pinned solc
// (package.json: npm solc 0.8.24, evmVersion shanghai, optimizer on, 200
// runs) into <Name>.bin (the deployment bytecode as hex, one line) and
// <Name>.abi.json beside the sources.
//
//   node compile.js          write the files
//   node compile.js --check  write nothing; exit 1 when a committed file
//                            differs from what the compiler produces
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const here = __dirname;
const check = process.argv.includes('--check');
const sources = {};
for (const f of fs.readdirSync(here).filter((f) => f.endsWith('.sol')).sort()) {
  sources[f] = { content: fs.readFileSync(path.join(here, f), 'utf8') };
}
const input = {
  language: 'Solidity',
  sources,
  settings: {
    evmVersion: 'shanghai',
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: 'none' },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
let failed = false;
for (const e of out.errors || []) {
  console.error(e.formattedMessage);
  if (e.severity === 'error') failed = true;
}
if (failed) process.exit(1);
let differs = 0;
for (const file of Object.keys(out.contracts).sort()) {
  for (const name of Object.keys(out.contracts[file]).sort()) {
    const c = out.contracts[file][name];
    if (!c.evm.bytecode.object) continue; // interfaces
    const files = {
      [name + '.bin']: c.evm.bytecode.object + '\n',
      [name + '.abi.json']: JSON.stringify(c.abi, null, 1) + '\n',
    };
    for (const [f, text] of Object.entries(files)) {
      const p = path.join(here, f);
      if (check) {
        const old = fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null;
        if (old !== text) {
          console.error(`compile.js: ${f} differs from what solc ${solc.version()} produces`);
          differs++;
        }
      } else {
        fs.writeFileSync(p + '.tmp', text);
        fs.renameSync(p + '.tmp', p);
      }
    }
  }
}
console.log(`solc ${solc.version()}: ${check ? (differs ? differs + ' files differ' : 'committed files up to date') : 'written'}`);
process.exit(differs ? 1 : 0);
