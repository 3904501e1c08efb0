"""adcompiler.runtime: numba kernels for networks (convolution, pooling, dense, activations,
losses), each registered with its derivative rule in adcompiler's rule table."""
