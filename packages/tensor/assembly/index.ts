/** The module's exports: the GEMM micro-kernels, the sliding-window and the elementwise kernels. */
export * from './gemm';
export * from './windows';
export * from './elementwise';
