"""User primitives with their own derivative rules (adcompiler.primitive, defvjp, defjvp): the
rules given are the ones used, in reverse and forward mode, compiled and pure Python."""
import numpy as np
import pytest
from hypothesis import given, settings

import adcompiler as adc
from gradcheck import arrays, check_both_modes


@adc.primitive(elementwise=True)
def softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)


@adc.defvjp(softplus)
def _(y, x):
    x_bar += y_bar / (1.0 + np.exp(-x))


@adc.primitive
def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


@adc.defvjp(logsumexp)
def _(y, x):
    x_bar += y_bar * np.exp(x - y)


@adc.defjvp(logsumexp)
def _(y, x):
    y_dot = np.sum(x_dot * np.exp(x - y))


@adc.primitive
def doubled(x):
    return 2.0 * x


@adc.defvjp(doubled)
def _(y, x):
    x_bar += y_bar * 5.0        # deliberately not 2: shows which derivative runs


@adc.defjvp(doubled)
def _(y, x):
    y_dot = x_dot * 7.0


def softplus_loss(w, x):
    return np.sum(softplus(w * x - 0.5) * x)


def cross_entropy(logits, label_weights):
    return logsumexp(logits) - np.sum(logits * label_weights)


def uses_doubled(x):
    return doubled(x) + x


@settings(max_examples=6, deadline=None)
@given(w=arrays((4,)), x=arrays((4,)))
def test_elementwise_primitive_matches_finite_differences(w, x):
    check_both_modes(softplus_loss, (w, x), wrt=(0, 1))


@settings(max_examples=6, deadline=None)
@given(logits=arrays((5,), -3, 3), weights=arrays((5,), 0, 1))
def test_primitive_with_both_rules_matches_finite_differences(logits, weights):
    check_both_modes(cross_entropy, (logits, weights), wrt=(0, 1))


@pytest.mark.parametrize("jit", [True, False], ids=["jit", "python"])
def test_the_given_rules_are_the_ones_called(jit):
    assert adc.grad(uses_doubled, jit=jit)(1.5) == pytest.approx(6.0)         # 5 + 1
    value, tangent = adc.jvp(uses_doubled, jit=jit)((1.5,), (1.0,))
    assert value == pytest.approx(4.5)
    assert tangent == pytest.approx(8.0)                                        # 7 + 1
    assert "doubled(x)" in adc.grad(uses_doubled).source_for(1.5)
    assert "* 5.0" in adc.grad(uses_doubled).source_for(1.5)
    assert "* 7.0" in adc.jvp(uses_doubled).source_for(1.5)


def test_stable_rule_where_the_automatic_one_overflows():
    def naive(x):
        return np.sum(np.log(1.0 + np.exp(x)))
    x = np.array([800.0, -800.0, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        assert not np.all(np.isfinite(adc.grad(naive)(x)))
    np.testing.assert_allclose(adc.grad(lambda_free_softplus_sum)(x), [1.0, 0.0, 0.5])
    np.testing.assert_allclose(adc.jvp(lambda_free_softplus_sum)((x,), (np.ones(3),))[1], 1.5)


def lambda_free_softplus_sum(x):
    return np.sum(softplus(x))


def test_second_derivatives_use_the_primitive_rules():
    x = np.array([0.3, -1.2, 2.0])
    sigmoid = 1.0 / (1.0 + np.exp(-x))
    np.testing.assert_allclose(adc.hessian(lambda_free_softplus_sum)(x),
                               np.diag(sigmoid * (1 - sigmoid)), rtol=1e-10)


def test_primitive_errors():
    with pytest.raises(ValueError, match="only its arguments"):
        @adc.primitive
        def reads_global(x):
            return x * softplus_loss
    with pytest.raises(ValueError, match="not a primitive"):
        adc.defvjp(np.sin)
    with pytest.raises(ValueError, match="differ"):
        @adc.defvjp(doubled)
        def _(y, z):
            z_bar += y_bar

    @adc.primitive
    def no_rules(x):
        return x * 3.0

    def uses(x):
        return no_rules(x)
    with pytest.raises(adc.DifferentiationError, match="no adjoint rule"):
        adc.grad(uses)(1.0)
    with pytest.raises(adc.DifferentiationError, match="no tangent rule"):
        adc.jvp(uses)((1.0,), (1.0,))
