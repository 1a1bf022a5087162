// Where Node's require() finds each runtime dependency of each package directory given
// (relative to ROOT): the directory of the package the resolved file belongs to.
const fs = require('fs'), path = require('path'), { createRequire } = require('module');
const root = process.argv[2];
for (const rel of process.argv.slice(3)) {
  const manifest = path.join(root, rel, 'package.json');
  const deps = Object.keys(JSON.parse(fs.readFileSync(manifest)).dependencies || {}).sort();
  for (const dep of deps) {
    const file = path.relative(root, createRequire(manifest).resolve(dep));
    const at = file.lastIndexOf('node_modules/' + dep + '/');
    console.log(`${rel} -> ${file.slice(0, at + ('node_modules/' + dep).length)}`);
  }
}
