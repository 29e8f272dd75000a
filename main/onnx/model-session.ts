/**
 * ModelSession: an onnxruntime session over a user's model whose graph outputs may have been extended in memory
 * (the features tensor is often an internal value). The model file is never written.
 */
import './no-telemetry.ts';
import * as ort from 'onnxruntime-node';
import { badInput } from '../../shared/errors.ts';
import { onnx, type LoadedModel } from './model.ts';

/** The model bytes with `extra` tensors added as graph outputs. */
function withOutputs(model: LoadedModel, extra: string[]): Uint8Array {
  const present = new Set((model.graph.output ?? []).map((o) => o.name));
  const added = extra.filter((name) => !present.has(name));
  // A name is enough for onnxruntime: it infers the type and shape of an added output.
  const graph = {
    ...model.graph,
    output: [...(model.graph.output ?? []), ...added.map((name) => ({ name }))],
  };
  return onnx.ModelProto.encode({ ...model.proto, graph }).finish();
}

/**
 * onnxruntime's worker threads busy-wait between runs by default. Between our runs the main
 * thread reads and converts the next batch, and the app shares the cores with its UI, so the
 * spinning only steals CPU. Measured on 2 busy cores (MNIST fixture, batches of 256, six
 * interleaved runs each): median 50k rows/s spinning, 83k without.
 */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

/** A model's onnxruntime session (not the app's AnalysisService, nor the renderer's state). */
export type ModelSession = ort.InferenceSession;

export async function createModelSession(
  model: LoadedModel,
  outputs: string[],
): Promise<ModelSession> {
  try {
    return await ort.InferenceSession.create(withOutputs(model, outputs), SESSION_OPTIONS);
  } catch (e) {
    throw sessionError(model.file, e);
  }
}

/** onnxruntime's multi-line load failures as one line naming what it could not handle. */
function sessionError(file: string, e: unknown): Error {
  const msg = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
  const op = /No Op registered for (\S+) with domain_version of (\d+)/.exec(msg);
  if (op) return badInput(file, 'ops onnxruntime (CPU) supports', `${op[1]} (opset ${op[2]})`);
  const domain = /No opset import for domain '([^']*)'/.exec(msg);
  if (domain) return badInput(file, 'ops onnxruntime (CPU) supports', `domain '${domain[1]}'`);
  const kernel = /Could not find an implementation for (\S+)/.exec(msg);
  if (kernel) return badInput(file, 'ops onnxruntime (CPU) supports', kernel[1]);
  return badInput(file, 'a model onnxruntime can load', msg);
}

/** A failure while running, as one line (the inputs were checked before, so this is rare). */
export function runError(file: string, inputsFile: string, e: unknown): Error {
  const msg = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
  return badInput(file, `a model that runs on ${inputsFile}`, msg);
}
