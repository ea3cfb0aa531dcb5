/** The module's exports: the GEMM micro-kernels and the sliding-window kernels. */
export * from './gemm';
export * from './windows';
