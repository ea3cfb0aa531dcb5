import { ShapeError, type Tensor, ValueError, formatShape, sameShape } from '@nn/tensor';

/**
 * A quantity computed on a batch's outputs, outside the graph. `compute` returns the batch mean;
 * the Trainer weights batches by their size to get the epoch value.
 *
 * @example
 * const meanAbsoluteError: Metric = {
 *   name: 'mae',
 *   compute: (y, t) => y.sub(t).abs().mean().item(),
 * };
 * fit(model, optimizer, data, { epochs: 10, loss: mse, metrics: [meanAbsoluteError] });
 */
export interface Metric {
  /** The key in logs and history (`train.<name>`, `eval.<name>`). */
  name: string;
  /** The metric's mean over the batch, from the model's outputs and the targets. */
  compute(outputs: Tensor, targets: Tensor): number;
}

/** A metric or the name of a built-in one. @example const metrics: MetricSpec[] = ['accuracy', meanAbsoluteError]; */
export type MetricSpec = 'accuracy' | Metric;

/**
 * The fraction of rows whose highest score is the right class. Targets are int32 labels (shape
 * outputs.shape[:-1]) or one-hot / probability rows (outputs' shape; the target class is their
 * argmax), as the seeds' `accuracy` accepts both.
 *
 * @example
 * accuracy.compute(tensor([[0.1, 0.9], [0.8, 0.2]]), tensor([1, 1], { dtype: 'int32' })); // 0.5
 */
export const accuracy: Metric = {
  name: 'accuracy',
  compute(outputs: Tensor, targets: Tensor): number {
    if (outputs.ndim === 0) throw new ShapeError('accuracy: outputs need a class axis, got a 0-d tensor');
    const predicted = outputs.argmax(-1);
    let expected: Tensor;
    if (targets.dtype === 'int32' && sameShape(targets.shape, predicted.shape)) {
      expected = targets;
    } else if (
      targets.dtype !== 'int32' &&
      sameShape(targets.shape, outputs.shape) &&
      outputs.shape[outputs.ndim - 1] > 1
    ) {
      expected = targets.argmax(-1);
    } else {
      throw new ShapeError(
        `accuracy: targets of shape ${formatShape(targets.shape)} (${targets.dtype}) do not fit outputs of shape ${formatShape(outputs.shape)}; ` +
          `expected int32 labels of shape ${formatShape(predicted.shape)} or one-hot rows of shape ${formatShape(outputs.shape)} (for regression pass metrics: [])`,
      );
    }
    const p = predicted.contiguous();
    const e = expected.contiguous();
    let correct = 0;
    for (let i = 0; i < p.size; i++) if (p.data[p.offset + i] === e.data[e.offset + i]) correct++;
    return p.size === 0 ? 0 : correct / p.size;
  },
};

/** Metric objects from specs; duplicate names and the reserved name `loss` are errors. */
export function resolveMetrics(specs: readonly MetricSpec[]): Metric[] {
  const metrics = specs.map((spec) => {
    if (spec === 'accuracy') return accuracy;
    if (
      spec !== null &&
      typeof spec === 'object' &&
      typeof spec.name === 'string' &&
      typeof spec.compute === 'function'
    )
      return spec;
    throw new ValueError(
      `fit: unknown metric ${JSON.stringify(spec)}; use 'accuracy' or an object { name, compute(outputs, targets) }`,
    );
  });
  const names = metrics.map((m) => m.name);
  const clash = names.find((name, i) => name === 'loss' || names.indexOf(name) !== i);
  if (clash !== undefined)
    throw new ValueError(`fit: metric name '${clash}' is ${clash === 'loss' ? 'reserved for the loss' : 'used twice'}`);
  return metrics;
}
