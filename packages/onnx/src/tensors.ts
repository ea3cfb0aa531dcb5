import { type DType, Tensor } from '@nn/tensor';
import { DataType, type TensorProto } from './proto.js';

/** Tensor ↔ TensorProto, shared by export and import. */

/** The ONNX element type of one of our dtypes. */
export function onnxType(dtype: DType): number {
  switch (dtype) {
    case 'float32':
      return DataType.FLOAT;
    case 'float64':
      return DataType.DOUBLE;
    case 'int32':
      return DataType.INT32;
    default:
      return DataType.BOOL;
  }
}

/** A Tensor's values as a TensorProto named `name` (copied row-major). */
export function toTensorProto(name: string, t: Tensor): TensorProto {
  const c = t.contiguous();
  const view = c.data.subarray(c.offset, c.offset + c.size);
  const values = view instanceof Uint8Array ? Int32Array.from(view) : view.slice();
  return { name, dataType: onnxType(t.dtype), dims: [...t.shape], values };
}

/** An INT64 TensorProto (shapes, axes, split sizes). */
export function int64Proto(name: string, values: readonly number[], dims: number[] = [values.length]): TensorProto {
  return { name, dataType: DataType.INT64, dims, values: Float64Array.from(values) };
}

/**
 * A TensorProto as one of our Tensors: FLOAT → float32, DOUBLE → float64, the integer types
 * (INT64 too, exact up to 2^53) → int32 when they fit, else float64; BOOL → bool.
 */
export function fromTensorProto(p: TensorProto): Tensor {
  const shape = [...p.dims];
  if (p.dataType === DataType.FLOAT) return new Tensor(Float32Array.from(p.values), shape);
  if (p.dataType === DataType.DOUBLE) return new Tensor(Float64Array.from(p.values), shape);
  if (p.dataType === DataType.BOOL)
    return new Tensor(
      Uint8Array.from(p.values, (v) => (v !== 0 ? 1 : 0)),
      shape,
    );
  const fits = p.values.every((v) => v >= -(2 ** 31) && v < 2 ** 31);
  return new Tensor(fits ? Int32Array.from(p.values) : Float64Array.from(p.values), shape);
}

/** The values of an integer TensorProto as plain numbers (for shapes and axes). */
export function integers(p: TensorProto): number[] {
  return Array.from(p.values);
}
