/** What an ONNX model offers: its inputs, outputs, initializers and classifier. */
import {
  GraphIndex,
  featureCandidates,
  findClassifier,
  type ClassifierInfo,
} from './classifier.ts';
import { loadModel, tensorDims, typeName, type LoadedModel, type ValueInfoProto } from './model.ts';

export interface TensorInfo {
  name: string;
  /** Fixed sizes as numbers, symbolic ones by name ('?' when the model says nothing). */
  shape: (number | string)[];
  type: string;
}

export interface ModelInfo {
  /** Graph inputs the caller feeds (initializers listed as inputs by old exporters excluded). */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  initializers: { name: string; shape: number[]; type: string }[];
  classifier: ClassifierInfo | null;
  /** Tensors a user could pick as features, in graph order. */
  candidates: string[];
}

function valueInfo(v: ValueInfoProto): TensorInfo {
  const tensor = v.type?.tensorType;
  const dims = tensor?.shape?.dim ?? [];
  return {
    name: v.name ?? '',
    shape: dims.map((d) =>
      d.dimValue != null && Number(d.dimValue) > 0 ? Number(d.dimValue) : d.dimParam || '?',
    ),
    type: typeName(tensor?.elemType),
  };
}

/** The model's description, from an already loaded model. */
export function describeModel(model: LoadedModel): { info: ModelInfo; index: GraphIndex } {
  const { graph, initializers } = model;
  const index = new GraphIndex(graph, initializers, model.file);
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(valueInfo);
  const info: ModelInfo = {
    inputs,
    outputs: (graph.output ?? []).map(valueInfo),
    initializers: [...initializers.values()].map((t) => ({
      name: t.name ?? '',
      shape: tensorDims(t),
      type: typeName(t.dataType),
    })),
    classifier: findClassifier(index),
    candidates: featureCandidates(
      index,
      inputs.map((i) => i.name),
    ),
  };
  return { info, index };
}

/** Parses the model at `path` and describes it; the file is only read. */
export async function inspectModel(path: string): Promise<ModelInfo> {
  return describeModel(await loadModel(path)).info;
}
