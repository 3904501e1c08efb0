"""The loop programs of benchmarks/loop_programs.py written for JAX, with its loops (lax.fori_loop,
lax.scan) so that jax.grad differentiates them as loops, for the JAX column of
benchmarks/loops.py. JAX is optional: ``GRADIENTS`` is empty when it is not installed.

Newton's square roots have no JAX version: their iteration count depends on the values, which
takes lax.while_loop, and jax.grad cannot differentiate lax.while_loop in reverse mode."""
try:
    import jax
    import jax.numpy as jnp
    from jax import lax
except ImportError:
    jax = None


def sin_cos_sum(x, n):
    return lax.fori_loop(0, n, lambda i, s: s + jnp.sin(x * i) * jnp.cos(x), 0.0)


def rosenbrock(x):
    def term(i, s):
        return s + 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return lax.fori_loop(0, x.shape[0] - 1, term, 0.0)


def recurrence(w, xs):
    h, _ = lax.scan(lambda h, x: (jnp.tanh(w * h + x), None), 0.0, xs)
    return h


def heat(u, steps):
    def step(_, u):
        previous = u

        def cell(i, u):
            return u.at[i].set(previous[i] + 0.1 * (previous[i - 1] - 2.0 * previous[i]
                                                    + previous[i + 1]))
        return lax.fori_loop(1, u.shape[0] - 1, cell, u)
    return jnp.sum(lax.fori_loop(0, steps, step, u) ** 2)


def _blocking(gradient):
    return lambda *args: jax.block_until_ready(gradient(*args))


GRADIENTS = {}      # loop_programs function name -> jit-compiled JAX gradient, blocking
if jax is not None:
    jax.config.update("jax_enable_x64", True)
    GRADIENTS = {
        "sin_cos_sum": _blocking(jax.jit(jax.grad(sin_cos_sum), static_argnums=1)),
        "rosenbrock": _blocking(jax.jit(jax.grad(rosenbrock))),
        "recurrence": _blocking(jax.jit(jax.grad(recurrence, argnums=(0, 1)))),
        "heat": _blocking(jax.jit(jax.grad(heat), static_argnums=1)),
    }
