// Regenerates the trimmed Ubuntu fixtures from a real archive download (run by hand; never by the tests).
//
//   node test/fixtures-data/ubuntu/trim.mjs <download-dir>
//
// <download-dir> holds, for each of jammy, jammy-updates and jammy-security (see SOURCE.md for the URLs):
// <suite>.InRelease, <suite>.Packages (main/binary-amd64/Packages.xz decompressed with the `xz` CLI) and
// <suite>.comp-Release (main/binary-amd64/Release, kept verbatim). Stanzas are kept byte-identical and in file order;
// Release files keep the real header fields and get SHA256 lines regenerated for the trimmed files.
//
// Same method as test/fixtures-data/debian/trim.mjs (kept separate so the Debian fixtures stay reproducible as made).
// Differences follow the archive: every Ubuntu suite is served with InRelease AND Release, every Release lists
// Packages, Packages.gz and Packages.xz, but the archive answers 404 for the uncompressed Packages, so it is deleted
// after compressing.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { releaseHeader as realReleaseHeader, sha256, trim as trimStanzas, writerUnder } from '../trim-common.mjs';

const src = process.argv[2];
if (!src) throw new Error('usage: trim.mjs <download-dir>');
const out = dirname(fileURLToPath(import.meta.url));

// One list for the three pockets (a name a pocket lacks, like zip in -updates/-security, is simply absent there).
// ncurses-base has two stanzas in -updates and -security.
const PACKAGES = [
  'apt', 'bash', 'ca-certificates', 'curl', 'git', 'git-man', 'gnupg', 'libc6', 'libcurl4', 'libssl3', 'nano',
  'ncurses-base', 'openssh-client', 'openssl', 'procps', 'python3', 'python3.10', 'sudo', 'tzdata', 'unzip', 'vim',
  'wget', 'xz-utils', 'zip',
];

const trim = (file, names) => trimStanzas(src, file, names);
const releaseHeader = (inRelease) => realReleaseHeader(src, inRelease);
const write = writerUnder(out);

/** One suite: trimmed Packages (.gz, .xz; the plain file listed but not served), the real component Release, Release and InRelease. */
function suite(root, name) {
  const dir = `${root}/dists/${name}/main/binary-amd64`;
  const plain = Buffer.from(trim(`${name}.Packages`, PACKAGES));
  const entries = [
    ['main/binary-amd64/Packages', plain],
    ['main/binary-amd64/Packages.gz', write(`${dir}/Packages.gz`, gzipSync(plain, { level: 9 }))],
    ['main/binary-amd64/Packages.xz', write(`${dir}/Packages.xz`, execFileSync('xz', ['-9', '-c'], { input: plain }))],
    ['main/binary-amd64/Release', write(`${dir}/Release`, readFileSync(join(src, `${name}.comp-Release`)))],
  ];
  rmSync(join(out, dir, 'Packages'), { force: true });
  const lines = entries.map(([path, b]) => ` ${sha256(b)} ${String(b.length).padStart(16)} ${path}`);
  const release = write(`${root}/dists/${name}/Release`, `${releaseHeader(`${name}.InRelease`)}\nSHA256:\n${lines.join('\n')}\n`);
  // The regenerated Release in clear-signed armour, with a placeholder signature block (harden does not verify OpenPGP
  // signatures; the real signature cannot match the regenerated text).
  write(
    `${root}/dists/${name}/InRelease`,
    `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n${release}-----BEGIN PGP SIGNATURE-----\n\nplaceholder, not a signature\n-----END PGP SIGNATURE-----\n`,
  );
}

suite('ubuntu', 'jammy');
suite('ubuntu', 'jammy-updates');
suite('ubuntu-security', 'jammy-security');
