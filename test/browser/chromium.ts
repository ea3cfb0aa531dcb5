/** Which Chromium the browser tests drive, and how: Debian's, headless, with WebGPU's software adapter allowed. */
export const CHROMIUM = process.env.NN_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
];

// What global-setup.ts hands the test files: the browser server's WebSocket endpoint ('' without Chromium).
declare module 'vitest' {
  export interface ProvidedContext {
    chromiumEndpoint: string;
  }
}
