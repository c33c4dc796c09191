/**
 * The documents the front-end tests draw: the golden snapshots that `gradviz run --json` wrote for
 * the programs in tests/test_snapshots.py (regenerate them with
 * `pytest tests/test_snapshots.py --overwrite-snapshots`). tests/test_contract.py checks each one
 * against gradviz/schema.py, which js/src/types.ts is generated from.
 *
 * Each function returns a fresh copy, which a test may modify into the edge case it needs.
 */
import { SCHEMA_VERSION, type Document, type NodeData } from "../src/types";
import kerasGroupedJson from "../../tests/snapshots/keras_grouped.json";
import kerasMlpUnusedHeadJson from "../../tests/snapshots/keras_mlp_unused_head.json";
import noGradientCallJson from "../../tests/snapshots/no_gradient_call.json";
import outsideTapeJson from "../../tests/snapshots/outside_tape.json";
import persistentTapeAllJson from "../../tests/snapshots/persistent_tape_all.json";
import resnetUnusedHeadJson from "../../tests/snapshots/resnet_unused_head.json";
import ganLossAfterTapeJson from "../../tests/snapshots/gan_loss_after_tape.json";

function produced(name: string, json: unknown): () => Document {
  return () => {
    const doc = structuredClone(json) as Document;
    if (doc.schema_version !== SCHEMA_VERSION)
      throw new Error(`tests/snapshots/${name}.json has schema_version ${doc.schema_version}, the front end ${SCHEMA_VERSION}: ` +
        "regenerate the snapshots (pytest tests/test_snapshots.py --overwrite-snapshots)");
    return doc;
  };
}

/** `x * x` in the tape, `z = y * 2` after it: one None gradient, cause outside_tape. */
export const outsideTape = produced("outside_tape", outsideTapeJson);
/**
 * A Keras Sequential model (scopes sequential/dense, sequential/dense_1), the loss in scope
 * mean_squared_error, an accuracy in scope metrics, a layer dense_2 built but never called.
 * Call 0: gradient of the loss (dense_2's two variables None, unused_variable). Call 1: gradient
 * of the accuracy (None: the path crosses ArgMax, non_differentiable_op).
 */
export const kerasGrouped = produced("keras_grouped", kerasGroupedJson);
/**
 * A Keras functional MLP (layer hidden) with two heads, main and aux, the loss using main only:
 * aux's kernel and bias (sources 4 and 5) are None, unused_variable, one group `[4, 5]`.
 */
export const kerasMlpUnusedHead = produced("keras_mlp_unused_head", kerasMlpUnusedHeadJson);
/** Two connected calls on a persistent tape, captured with --all: backward ops included. */
export const persistentTapeAll = produced("persistent_tape_all", persistentTapeAllJson);
/**
 * A functional ResNet-style model (stem, block1_*, block2_*, pool, head) with an auxiliary head
 * (`aux_head`, its output bound to `aux_logits`) the loss leaves out: one finding, unused_variable.
 * The loss is computed by Keras' SparseCategoricalCrossentropy in its own scope.
 */
export const resnetUnusedHead = produced("resnet_unused_head", resnetUnusedHeadJson);
/**
 * A GAN step (Sequential `generator` g1, g2; `discriminator` d1, d2) whose losses are computed after
 * both tapes closed: call 0 (g_tape) and call 1 (d_tape) each have one outside_tape finding for all
 * four variables, cut where the tensors enter the BinaryCrossentropy scope.
 */
export const ganLossAfterTape = produced("gan_loss_after_tape", ganLossAfterTapeJson);
/** A program that made no gradient call. */
export const noGradientCall = produced("no_gradient_call", noGradientCallJson);

/** The id of the one node `pick` selects; throws when none or several do. */
export function nodeId(doc: Document, pick: (n: NodeData) => boolean): string {
  const ids = doc.graph.nodes.filter(pick).map((n) => n.id);
  if (ids.length !== 1) throw new Error(`expected one matching node, found ${ids.length}: ${ids.join(", ")}`);
  return ids[0];
}

export const op = (opType: string, scope?: string) => (n: NodeData): boolean =>
  n.kind === "op" && n.op_type === opType && (scope === undefined || n.scope === scope);

export const variable = (name: string) => (n: NodeData): boolean => n.kind === "variable" && n.name === name;
