/**
 * The gradient-testing kit: numerical gradients, gradcheck/gradgradcheck with readable reports,
 * jvpcheck for forward-mode rules (tangents against central differences along them),
 * and fast-check arbitraries (shapes, broadcastable shape tuples, tensors, random expression
 * graphs) to property-test a node or a layer in a few lines. See docs/gradient-testing.md.
 *
 * This is the `@nn/autograd/testing` entry, kept off the runtime surface: it imports `fast-check`,
 * an optional peer dependency of @nn/autograd (install it beside the package to use this entry).
 *
 * @example
 * import fc from 'fast-check';
 * import { assertGradcheck, tensorOfShapeArb, shapeArb } from '@nn/autograd/testing';
 * fc.assert(fc.property(tensorOfShapeArb(shapeArb()), (x) => { assertGradcheck((v) => v.tanh(), [x]); }));
 */
export {
  numericalGrad,
  gradcheck,
  gradgradcheck,
  assertGradcheck,
  assertGradgradcheck,
  formatGradcheckReport,
  GradcheckError,
  type GradcheckFunction,
  type GradcheckInput,
  type GradcheckOptions,
  type GradcheckReport,
  type GradcheckInputReport,
  type NumericalGradOptions,
} from './gradcheck.js';
export {
  numericalJvp,
  jvpcheck,
  assertJvpcheck,
  JvpcheckError,
  type JvpcheckFunction,
  type JvpcheckOptions,
  type JvpcheckReport,
  type JvpcheckOutputReport,
} from './jvpcheck.js';
export {
  shapeArb,
  broadcastShapesArb,
  tensorArb,
  tensorOfShapeArb,
  tensorToCode,
  expressionGraphArb,
  EXPRESSION_OPS,
  type ShapeArbOptions,
  type BroadcastShapesArbOptions,
  type TensorArbOptions,
  type ExpressionGraphArbOptions,
  type ExpressionGraph,
  type ExpressionOp,
} from './arbitraries.js';
