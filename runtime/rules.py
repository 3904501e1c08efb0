"""The derivative rules of the runtime's operations, in the compiler's rule table.

Each template states each differentiable argument's share of the result's adjoint as a call to
a kernel (so generated code inlines no array arithmetic), and where the tangent does not follow
from the adjoint or from linearity, the tangent. Integer, string and flag arguments (strides,
padding, axis, from_logits) carry no derivative and may be variables; leaky_relu's float
``alpha`` must be a constant, so that no derivative with respect to it is silently dropped.
"""
import inspect

from adcompiler.define import adjoint, tangent
from adcompiler.rules import Structure

from .activations import flatten, leaky_relu, log_softmax, relu, sigmoid, softmax
from .conv import conv2d
from .dense import bias_add, dense
from .depthwise import depthwise_conv2d
from .fractional_pooling import fractional_max_pool2d
from .losses import binary_crossentropy, mae, mse, sparse_categorical_crossentropy
from .pooling import avg_pool2d, max_pool2d

def rule(operation, **flags):
    """Register the decorated template as ``operation``'s adjoint; its parameters must be the
    operation's, defaults included."""
    def decorate(template):
        expected = list(inspect.signature(operation).parameters.values())
        given = list(inspect.signature(template).parameters.values())[1:]
        if [(p.name, p.default) for p in given] != [(p.name, p.default) for p in expected]:
            raise ValueError(f"the rule of {operation.__name__} must take its parameters "
                             f"{[str(p) for p in expected]}")
        name = operation.__name__
        return adjoint(operation, name=name, primal=name, key=name, **flags)(template)
    return decorate


@rule(conv2d, structure=Structure.BILINEAR, rank=4)
def _(y, x, kernel, strides=1, padding="VALID"):
    x_bar += conv2d_adjoint_x(y_bar, x, kernel, strides, padding)
    kernel_bar += conv2d_adjoint_kernel(y_bar, x, kernel, strides, padding)


@rule(depthwise_conv2d, structure=Structure.BILINEAR, rank=4)
def _(y, x, kernel, strides=1, padding="VALID"):
    x_bar += depthwise_conv2d_adjoint_x(y_bar, x, kernel, strides, padding)
    kernel_bar += depthwise_conv2d_adjoint_kernel(y_bar, x, kernel, strides, padding)


@rule(avg_pool2d, structure=Structure.LINEAR, rank=4)
def _(y, x, pool_size=2, strides=None, padding="VALID"):
    x_bar += avg_pool2d_adjoint(y_bar, x, pool_size, strides, padding)


@rule(max_pool2d, rank=4)
def _(y, x, pool_size=2, strides=None, padding="VALID"):
    x_bar += max_pool2d_adjoint(y_bar, x, pool_size, strides, padding)


@tangent(max_pool2d)
def _(y, x, pool_size=2, strides=None, padding="VALID"):
    y_dot = max_pool2d_tangent(x_dot, x, pool_size, strides, padding)


@rule(fractional_max_pool2d, rank=4)
def _(y, x, rows, columns, overlapping=True):
    x_bar += fractional_max_pool2d_adjoint(y_bar, x, rows, columns, overlapping)


@tangent(fractional_max_pool2d)
def _(y, x, rows, columns, overlapping=True):
    y_dot = fractional_max_pool2d_tangent(x_dot, x, rows, columns, overlapping)


@rule(dense, rank="x")
def _(y, x, w, b):
    x_bar += dense_adjoint_x(y_bar, x, w)
    w_bar += dense_adjoint_w(y_bar, x, w)
    b_bar += dense_adjoint_b(y_bar, b)


@tangent(dense)
def _(y, x, w, b):
    y_dot = dense_linear(x_dot, w) + dense_linear(x, w_dot) + dense_bias(b_dot, y)


@rule(bias_add, rank="x")
def _(y, x, b):
    x_bar += y_bar
    b_bar += dense_adjoint_b(y_bar, b)


@tangent(bias_add)
def _(y, x, b):
    y_dot = x_dot + dense_bias(b_dot, y)


@rule(relu, structure=Structure.ELEMENTWISE)
def _(y, x):
    x_bar += relu_adjoint(y_bar, x)


@rule(leaky_relu, structure=Structure.ELEMENTWISE, constants=("alpha",))
def _(y, x, alpha=0.2):
    x_bar += leaky_relu_adjoint(y_bar, x, alpha)


@rule(sigmoid, structure=Structure.ELEMENTWISE)
def _(y, x):
    x_bar += sigmoid_adjoint(y_bar, y)


@rule(softmax, rank="x")
def _(y, x, axis=-1):
    x_bar += softmax_adjoint(y_bar, y, axis)


@tangent(softmax)
def _(y, x, axis=-1):
    y_dot = softmax_adjoint(x_dot, y, axis)


@rule(log_softmax, rank="x")
def _(y, x, axis=-1):
    x_bar += log_softmax_adjoint(y_bar, y, axis)


@tangent(log_softmax)
def _(y, x, axis=-1):
    y_dot = log_softmax_tangent(x_dot, y, axis)


@rule(flatten, structure=Structure.LINEAR, rank=2)
def _(y, x):
    x_bar += reshape_like(y_bar, x)


@rule(mse, rank=0)
def _(loss, y_true, y_pred):
    y_true_bar += mse_adjoint(loss_bar, y_true, y_pred)
    y_pred_bar += mse_adjoint(loss_bar, y_pred, y_true)


@tangent(mse)
def _(loss, y_true, y_pred):
    loss_dot = inner(mse_adjoint(1.0, y_true, y_pred), y_true_dot) \
        + inner(mse_adjoint(1.0, y_pred, y_true), y_pred_dot)


@rule(mae, rank=0)
def _(loss, y_true, y_pred):
    y_true_bar += mae_adjoint(loss_bar, y_true, y_pred)
    y_pred_bar += mae_adjoint(loss_bar, y_pred, y_true)


@tangent(mae)
def _(loss, y_true, y_pred):
    loss_dot = inner(mae_adjoint(1.0, y_true, y_pred), y_true_dot) \
        + inner(mae_adjoint(1.0, y_pred, y_true), y_pred_dot)


@rule(binary_crossentropy, rank=0)
def _(loss, y_true, y_pred, from_logits=False):
    y_true_bar += binary_crossentropy_adjoint_true(loss_bar, y_true, y_pred, from_logits)
    y_pred_bar += binary_crossentropy_adjoint_pred(loss_bar, y_true, y_pred, from_logits)


@tangent(binary_crossentropy)
def _(loss, y_true, y_pred, from_logits=False):
    loss_dot = inner(binary_crossentropy_adjoint_true(1.0, y_true, y_pred, from_logits),
                     y_true_dot) \
        + inner(binary_crossentropy_adjoint_pred(1.0, y_true, y_pred, from_logits), y_pred_dot)


@rule(sparse_categorical_crossentropy, rank=0)
def _(loss, y_true, y_pred, from_logits=False):
    y_pred_bar += sparse_categorical_crossentropy_adjoint(loss_bar, y_true, y_pred, from_logits)


@tangent(sparse_categorical_crossentropy)
def _(loss, y_true, y_pred, from_logits=False):
    loss_dot = inner(sparse_categorical_crossentropy_adjoint(1.0, y_true, y_pred, from_logits),
                     y_pred_dot)
