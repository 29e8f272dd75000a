/**
 * Small ONNX models written by tests (with the ONNX schema, in a temp dir) for the cases the
 * fixture model cannot show.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from '../../main/onnx/model.ts';

/** A model whose only path from input to output is a Relu: no classifier to take W and b from. */
export function writeNoClassifierModel(dir: string): string {
  const info = (name: string) => ({
    name,
    type: {
      tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'n' }, { dimValue: 784 }] } },
    },
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ version: 13 }],
    graph: {
      name: 'no-classifier',
      input: [info('input')],
      output: [info('y')],
      node: [{ opType: 'Relu', input: ['input'], output: ['y'] }],
    },
  });
  const file = join(dir, 'relu_only.onnx');
  writeFileSync(file, onnx.ModelProto.encode(model).finish());
  return file;
}
