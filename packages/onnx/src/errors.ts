import { NNError } from '@nn/tensor';

/**
 * Bytes that are not a readable ONNX model: truncated or corrupt protobuf, a length that runs
 * past the end, a tensor whose data disagrees with its dims, an unsupported data type. The message
 * starts with the source (a file name, or `'onnx'`) and the path of the field at fault, e.g.
 * `model.onnx: graph.initializer[2].raw_data: length 4000 runs past the end of its message (12 bytes left)`.
 *
 * @example
 * try { decodeModel(new Uint8Array([0x0a, 0xff])); } catch (e) { if (e instanceof OnnxFormatError) console.log(e.message); }
 */
export class OnnxFormatError extends NNError {
  override name = 'OnnxFormatError';
}

/**
 * A model or function that cannot be exported as it is: a graph node with no ONNX mapping (the
 * message lists every such node and where it was created), inputs that are not Variables or
 * Tensors, conflicting options.
 *
 * @example
 * try { exportOnnx((x) => customOp(x), [x]); } catch (e) { if (e instanceof OnnxExportError) console.log(e.nodes); }
 */
export class OnnxExportError extends NNError {
  override name = 'OnnxExportError';
  constructor(
    message: string,
    /** The names of the nodes without a mapping (empty for other problems). */
    readonly nodes: readonly string[] = [],
  ) {
    super(message);
  }
}

/**
 * An ONNX model that cannot be built as an @nn Module: operators or attributes we do not
 * implement (listed all at once, with the node names), inputs that are neither graph inputs,
 * initializers nor outputs of earlier nodes, shapes that do not fit.
 *
 * @example
 * try { importOnnx(bytes); } catch (e) { if (e instanceof OnnxImportError) console.log(e.unsupported); }
 */
export class OnnxImportError extends NNError {
  override name = 'OnnxImportError';
  constructor(
    message: string,
    /** One line per unsupported node ("Resize 'up1': operator not supported"); empty for other problems. */
    readonly unsupported: readonly string[] = [],
  ) {
    super(message);
  }
}
