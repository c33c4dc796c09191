/**
 * Which notebook cell a culprit file is: pure functions, shared by the JupyterLab extension and its tests.
 *
 * ipykernel compiles each cell under `<tmp>/ipykernel_<pid>/<murmur2 of the cell's source>.py`
 * (`ipykernel/compiler.py`, `get_file_name`); hashing a cell's current source the same way finds it
 * again whatever its execution count, as long as it has not been edited since it ran. The
 * document's `meta.file_labels` ("cell [3]") is the fallback: other kernels name cells otherwise,
 * and an edited cell keeps its execution count until it runs again.
 */

/** ipykernel's seed for cell file names (`get_tmp_hash_seed`). */
export const IPYKERNEL_HASH_SEED = 0xc70f6907;

/** MurmurHash2, 32-bit, over the UTF-8 bytes of `text`: ipykernel's `murmur2_x86`. */
export function murmur2(text: string, seed: number = IPYKERNEL_HASH_SEED): number {
  const data = new TextEncoder().encode(text);
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (seed ^ length) >>> 0;
  const roundedEnd = length & ~3;
  for (let i = 0; i < roundedEnd; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest) {
    let k = 0;
    if (rest === 3) k = data[roundedEnd + 2] << 16;
    if (rest >= 2) k |= data[roundedEnd + 1] << 8;
    k |= data[roundedEnd];
    h = Math.imul(h ^ k, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h >>> 0;
}

/** The last path component, for either separator. */
function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

/** Whether `file` is the name ipykernel gives a cell with this source ("…/ipykernel_12/2837461.py"). */
export function isIpykernelFileOf(file: string, source: string): boolean {
  return basename(file) === `${murmur2(source)}.py`;
}

/** The execution count in a cell label ("cell [3]" -> 3), null for any other label. */
export function labelCount(label: string | undefined): number | null {
  const found = /^cell \[(\d+)\]$/.exec(label ?? "");
  return found ? Number(found[1]) : null;
}

/** What the mapping needs of a notebook cell. */
export interface CellInfo {
  source: string;
  executionCount: number | null;
}

/**
 * The index of the cell `file` was compiled from, or null when no cell is (a module on disk).
 *
 * A source hash that matches decides; among several cells with the same source, the one with the
 * labelled execution count wins, then the cell that holds the diagnosis (`owner`). Without a hash
 * match (an edited cell, a kernel that names cells otherwise) the labelled execution count decides.
 */
export function findCell(file: string, labels: Record<string, string> | undefined, cells: CellInfo[], owner: number | null = null): number | null {
  const count = labelCount(labels?.[file]);
  const byHash = cells.flatMap((c, i) => (isIpykernelFileOf(file, c.source) ? [i] : []));
  if (byHash.length === 1) return byHash[0];
  const byCount = (among: number[]): number | undefined => (count === null ? undefined : among.find((i) => cells[i].executionCount === count));
  if (byHash.length > 1) return byCount(byHash) ?? (owner !== null && byHash.includes(owner) ? owner : byHash[0]);
  return byCount(cells.map((_, i) => i)) ?? null;
}

/**
 * The code the "Diagnose gradients" command sends for a cell: gradviz's `run_cell` on the cell's
 * source as it is, without a magic line (`header=None`), so lines count as the cell shows them and
 * the kernel compiles the source under the same name as when the cell runs plainly. JSON string
 * escapes are valid Python string escapes.
 */
export function diagnoseCode(source: string): string {
  return `__import__("gradviz.magic", fromlist=["run_cell"]).run_cell(get_ipython(), ${JSON.stringify(source)}, header=None)`;
}

/** Whether a cell already runs under the magic (the command then runs it as it is). */
export function hasGradtapeMagic(source: string): boolean {
  return /^\s*%%gradtape\b/.test(source);
}
