/**
 * The JSON contract, mirrored once from gradviz/schema.py (a `Document`).
 * Change both together; SCHEMA_VERSION must match schema.py's.
 */

export const SCHEMA_VERSION = 1;

export type Status = "ok" | "none" | "zero";
export type NodeKind = "op" | "tensor" | "variable";
export type EdgeKind = "input" | "output" | "read" | "assign" | "state" | "numpy" | "call";
export type TapeState = "recording" | "paused" | "outside";

export interface NodeData {
  id: string;
  kind: NodeKind;
  label?: string;
  file?: string | null;
  line?: number | null;
  scope?: string;
  seq?: number;
  // ops
  op_type?: string;
  function?: string | null;
  phase?: "forward" | "backward";
  tape_state?: Record<string, TapeState>;
  recorded_by?: string[];
  differentiable?: boolean;
  // tensors
  dtype?: string;
  shape?: (number | null)[] | null;
  origin?: "op" | "constant" | "numpy" | "variable_read" | "function_input" | "unknown";
  watched_by?: string[];
  // variables
  name?: string;
  trainable?: boolean;
}

export interface EdgeData {
  source: string;
  target: string;
  kind?: EdgeKind;
  index?: number;
  recorded_by?: string[];
  differentiable?: boolean;
}

export interface GraphDoc {
  directed: boolean;
  multigraph: boolean;
  graph: Record<string, unknown>;
  nodes: NodeData[];
  edges: EdgeData[];
}

export interface BrokenEdge {
  source: string;
  target: string;
  cause: string;
}

export interface SourceFinding {
  expr: string;
  name: string | null;
  node: string | null;
  status: Status;
  cause: string | null;
  culprit_file: string | null;
  culprit_line: number | null;
  culprit_code: string | null;
  explanation: string;
  fix: string;
  broken_edges: BrokenEdge[];
  path: string[];
}

export interface TapeDoc {
  id: string;
  file: string | null;
  line: number | null;
  persistent: boolean;
  watch_accessed_variables: boolean;
}

export interface GradientCall {
  id: number;
  file: string | null;
  line: number | null;
  code: string | null;
  tape: string;
  target: string;
  target_nodes: string[];
  count: number;
  unconnected_gradients: "none" | "zero";
  sources: SourceFinding[];
}

export interface Summary {
  headline: string;
  gradient_calls: number;
  missing: number;
  zero: number;
  all_connected: boolean;
}

export interface Meta {
  program?: string;
  started?: string;
  duration_s?: number;
  gradviz?: string;
  tensorflow?: string;
  keras?: string | null;
  python?: string;
  ops_seen?: number;
  ops_kept?: number;
  ops_dropped?: number;
  error?: string | null;
  /** File path -> what to show instead (e.g. a notebook cell's temp file -> "cell [2]"). */
  file_labels?: Record<string, string>;
}

export interface Document {
  schema_version: number;
  meta: Meta;
  source_lines: Record<string, Record<string, string>>;
  summary: Summary;
  gradient_calls: GradientCall[];
  graph: GraphDoc;
}

/** The anywidget model, or the report's stand-in with the same methods. */
export interface ModelLike {
  get(name: string): any;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, cb: (...args: any[]) => void): void;
  off(event?: string | null, cb?: ((...args: any[]) => void) | null): void;
  send(msg: unknown): void;
}
