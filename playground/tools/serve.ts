/**
 * `pnpm playground`: the playground's development server. It bundles the page with esbuild on
 * each load of the page (from the packages' sources, so an edit anywhere shows at the next
 * reload), serves the MNIST subset, and sends the COOP/COEP headers that make the page
 * cross-origin isolated, so the wasm kernels may start threads.
 *
 * node --import tsx playground/tools/serve.ts [--port 5180] [--host 127.0.0.1] [--no-isolation] [--dir playground/dist]
 *   --no-isolation  serve without the headers, to see the one-thread fallback
 *   --dir           serve a static build (pnpm playground:build) instead of bundling
 *
 * The same page is also served without the headers under /no-isolation/ (same bundle).
 */
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import {
  ISOLATION_HEADERS,
  MNIST_SUBSET,
  type MnistFile,
  PLAYGROUND,
  STATIC_FILES,
  bundleOptions,
  ensureKernels,
  mnistSubset,
} from './bundle.js';

export interface ServeOptions {
  /** 0 picks a free port (default 5180). */
  port?: number;
  host?: string;
  /** Send the COOP/COEP headers (default true). */
  isolated?: boolean;
  /** Serve this folder (a static build) instead of bundling. */
  dir?: string;
  /** Compile @nn/tensor's WebAssembly kernels first when stale (default true; vitest's setup already does). */
  kernels?: boolean;
  /** Minify the bundles, as the static build does (default false: readable, with source maps). */
  minify?: boolean;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
};

/** Bundles on demand: the page's load rebuilds, the worker's request reuses that build. */
interface Bundler {
  /** The bundled files by URL path; `fresh` builds again first. */
  files(fresh?: boolean): Promise<Map<string, Uint8Array>>;
  dispose(): Promise<void>;
}

async function bundler(kernels: boolean, minify: boolean): Promise<Bundler> {
  if (kernels) ensureKernels();
  const context = await esbuild.context({
    ...bundleOptions({ minify }),
    write: false,
    outdir: join(PLAYGROUND, 'dist'),
  });
  let current: Promise<Map<string, Uint8Array>> | null = null;
  const build = async (): Promise<Map<string, Uint8Array>> => {
    const files = new Map<string, Uint8Array>();
    try {
      const result = await context.rebuild();
      for (const file of result.outputFiles ?? []) files.set(`/${file.path.split(/[\\/]/).pop()}`, file.contents);
    } catch (e) {
      // A build error (a typo in packages/ or playground/src) is shown in the page, not a blank page.
      const errors = (e as esbuild.BuildFailure).errors ?? [{ text: String(e) }];
      const text = errors
        .map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`)
        .join('\n');
      const script = `document.body.dataset.state = 'idle'; const p = document.createElement('pre'); p.id = 'build-error'; p.textContent = ${JSON.stringify(`The playground did not build:\n${text}`)}; document.body.prepend(p);`;
      files.set('/main.js', new TextEncoder().encode(script));
      console.error(`[playground] build failed:\n${text}`);
    }
    return files;
  };
  return {
    files: (fresh = false) => {
      if (fresh || current === null) current = build();
      return current;
    },
    dispose: () => context.dispose(),
  };
}

export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const isolated = options.isolated ?? true;
  const dir = options.dir ? resolve(options.dir) : null;
  const bundles = dir ? null : await bundler(options.kernels ?? true, options.minify ?? false);
  const server: Server = createServer((request, response) => {
    void (async () => {
      let path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
      const plain = path.startsWith('/no-isolation/');
      if (plain) path = path.slice('/no-isolation'.length);
      const headers = isolated && !plain ? { ...ISOLATION_HEADERS } : {};
      const file = path === '/' ? '/index.html' : path;
      const send = (body: Uint8Array | string, type: string) => {
        response.writeHead(200, { ...headers, 'Content-Type': type, 'Cache-Control': 'no-store' });
        response.end(body);
      };
      if (dir) {
        const full = normalize(join(dir, file));
        if (!full.startsWith(dir)) return void response.writeHead(403).end();
        try {
          return send(await readFile(full), TYPES[extname(full)] ?? 'application/octet-stream');
        } catch {
          return void response.writeHead(404, headers).end('not found');
        }
      }
      if (file in STATIC_FILES) {
        // The page itself: bundle again now, so the scripts it asks for next are fresh.
        if (file === '/index.html') void bundles!.files(true);
        return send(await readFile(join(PLAYGROUND, file)), STATIC_FILES[file]);
      }
      const bundled = (await bundles!.files()).get(file);
      if (bundled) return send(bundled, file.endsWith('.map') ? TYPES['.json'] : TYPES['.js']);
      const mnist = /^\/mnist\/([\w-]+)$/.exec(file)?.[1];
      if (mnist && mnist in MNIST_SUBSET) return send(mnistSubset(mnist as MnistFile), 'application/octet-stream');
      response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end(`${file} not found`);
    })().catch((e: unknown) => {
      response.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(e));
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 5180, options.host ?? '127.0.0.1', () => done());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}/`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await bundles?.dispose();
    },
  };
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const isolated = !process.argv.includes('--no-isolation');
  const port = Number(option('--port') ?? process.env.PORT ?? 5180);
  const dir = option('--dir');
  startServer({ port, host: option('--host'), isolated, dir }).then(
    (running) => {
      console.log(`@nn playground: ${running.url}`);
      console.log(
        isolated
          ? '  cross-origin isolated (COOP/COEP headers sent): the wasm kernels may use threads'
          : '  WITHOUT the COOP/COEP headers (--no-isolation): the page falls back to one thread and says so',
      );
      if (isolated) console.log(`  the same page without the headers (one thread): ${running.url}no-isolation/`);
      if (dir) console.log(`  serving the static build in ${dir}`);
    },
    (e: NodeJS.ErrnoException) => {
      console.error(e.code === 'EADDRINUSE' ? `port ${port} is taken: pass --port <n> (0 picks a free one)` : e);
      process.exit(1);
    },
  );
}
