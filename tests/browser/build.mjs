// Bundles one IIFE per editor into build/ for the fixture pages: `npm run build`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build');
mkdirSync(out, { recursive: true });

for (const name of ['lexical', 'quill', 'tiptap']) {
  await build({
    entryPoints: [join(here, 'src', `${name}.js`)],
    outfile: join(out, `${name}.js`),
    bundle: true,
    format: 'iife',
    target: 'chrome120',
    minify: true,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
}
copyFileSync(join(here, 'node_modules', 'quill', 'dist', 'quill.core.css'), join(out, 'quill.core.css'));
console.log('built lexical.js, quill.js, tiptap.js into', out);
