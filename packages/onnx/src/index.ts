/**
 * @nn/onnx — ONNX export and import for @nn models, checked against onnxruntime, and the mapping
 * of PyTorch state dicts onto @nn modules.
 */
export { OnnxFormatError, OnnxExportError, OnnxImportError } from './errors.js';
export {
  encodeModel,
  decodeModel,
  DataType,
  AttributeType,
  type ModelProto,
  type GraphProto,
  type NodeProto,
  type AttributeProto,
  type TensorProto,
  type ValueInfoProto,
  type TypeProto,
  type Dimension,
  type OperatorSetIdProto,
} from './proto.js';
export { exportOnnx, DEFAULT_OPSET, type ExportOptions, type Exportable, type ExampleInput } from './export.js';
export {
  registerOnnxMapping,
  onnxAttribute,
  type OnnxMapping,
  type OnnxExportContext,
  type BatchRule,
} from './export-ops.js';
export { saveOnnx, readOnnx } from './file.js';
export { importOnnx, OnnxModule, type ImportOptions } from './import.js';
export { SUPPORTED_OPERATORS } from './import-ops.js';
