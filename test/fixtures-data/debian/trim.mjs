// Regenerates the trimmed Debian fixtures from a real mirror download (run by hand; never by the tests).
//
//   node test/fixtures-data/debian/trim.mjs <download-dir>
//
// <download-dir> holds, decompressed with the `xz` CLI and fetched from the Debian mirror configured on the build
// machine: bookworm.InRelease, bookworm-updates.InRelease, sec.InRelease, main-amd64, main-arm64, upd-amd64,
// sec-amd64, sec-arm64 (each a `Packages` file). Stanzas are kept byte-identical; Release files keep the real header
// fields and get SHA256 lines regenerated for the trimmed files only.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { releaseHeader as realReleaseHeader, sha256, trim as trimStanzas, writerUnder } from '../trim-common.mjs';

const src = process.argv[2];
if (!src) throw new Error('usage: trim.mjs <download-dir>');
const out = dirname(fileURLToPath(import.meta.url));

const MAIN = [
  'adduser', 'apg', 'apt', 'autossh', 'bash', 'build-essential', 'ca-certificates', 'coreutils', 'curl', 'dirmngr',
  'dumb-init', 'gcc', 'git', 'git-man', 'gnupg', 'gosu', 'gpg', 'iproute2', 'jq', 'less', 'libc-bin', 'libc6',
  'libc6-i386', 'libcurl4', 'libjq1', 'libpq5', 'libssl3', 'linux-doc', 'locales', 'make', 'nano', 'netcat-openbsd',
  'nginx', 'openssh-client', 'openssl', 'passwd', 'pkg-config', 'procps', 'python3', 'python3-pip', 'python3.11',
  'sudo', 'tini', 'tzdata', 'unzip', 'vim', 'wget', 'xz-utils', 'zip',
];
const ARM64 = ['apg', 'autossh', 'ca-certificates', 'curl', 'git', 'gosu', 'libc6', 'openssl', 'sudo'];
const SECURITY = [
  'apt', 'ca-certificates', 'curl', 'git', 'libc6', 'libcurl4', 'libssl3', 'openssh-client', 'openssl', 'sudo',
  'tzdata', 'unzip', 'xz-utils', 'zip',
];
const UPDATES = ['ca-certificates', 'openssh-client', 'openssl', 'libssl3', 'tzdata'];

const trim = (file, names) => trimStanzas(src, file, names);
const releaseHeader = (inRelease) => realReleaseHeader(src, inRelease);
const write = writerUnder(out);

/** Write Packages (+ the given compressed forms) and return Release checksum lines. */
function component(root, suite, arch, text, forms) {
  const dir = `${root}/dists/${suite}/main/binary-${arch}`;
  const entries = [];
  const plain = write(`${dir}/Packages`, Buffer.from(text));
  entries.push([`main/binary-${arch}/Packages`, plain]);
  if (forms.includes('gz')) entries.push([`main/binary-${arch}/Packages.gz`, write(`${dir}/Packages.gz`, gzipSync(plain, { level: 9 }))]);
  if (forms.includes('xz')) entries.push([`main/binary-${arch}/Packages.xz`, write(`${dir}/Packages.xz`, execFileSync('xz', ['-9', '-c'], { input: plain }))]);
  return entries.map(([path, b]) => ` ${sha256(b)} ${String(b.length).padStart(8)} ${path}`);
}

function release(root, suite, inRelease, lines) {
  return write(`${root}/dists/${suite}/Release`, `${releaseHeader(inRelease)}\nSHA256:\n${lines.join('\n')}\n`);
}

release('debian', 'bookworm', 'bookworm.InRelease', [
  ...component('debian', 'bookworm', 'amd64', trim('main-amd64', MAIN), ['gz', 'xz']),
  ...component('debian', 'bookworm', 'arm64', trim('main-arm64', ARM64), ['gz', 'xz']),
]);
const updates = release('debian', 'bookworm-updates', 'bookworm-updates.InRelease', [
  ...component('debian', 'bookworm-updates', 'amd64', trim('upd-amd64', UPDATES), ['xz']),
]);
// bookworm-updates is also served as InRelease: the regenerated Release in clear-signed armour. The signature block is
// a placeholder (harden does not verify OpenPGP signatures).
write(
  'debian/dists/bookworm-updates/InRelease',
  `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n${updates}-----BEGIN PGP SIGNATURE-----\n\nplaceholder, not a signature\n-----END PGP SIGNATURE-----\n`,
);
release('debian-security', 'bookworm-security', 'sec.InRelease', [
  ...component('debian-security', 'bookworm-security', 'amd64', trim('sec-amd64', SECURITY), ['xz']),
  ...component('debian-security', 'bookworm-security', 'arm64', trim('sec-arm64', SECURITY), ['xz']),
]);
