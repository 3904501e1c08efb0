"""Every control-flow form against central finite differences, jit and pure Python, with
hypothesis drawing the inputs and the trip counts (zero included)."""
import inspect

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import adcompiler as adc
import corpus_control as corpus
from gradcheck import arrays, check_both_modes


def scalar(low=-1.5, high=1.5):
    return arrays((), low, high)


def vector(low=-1.5, high=1.5, min_size=1, max_size=6):
    return st.integers(min_size, max_size).flatmap(lambda n: arrays((n,), low, high))


def matrix(low=-1.5, high=1.5):
    return st.tuples(st.integers(1, 4), st.integers(1, 4)).flatmap(
        lambda shape: arrays(shape, low, high))


def count(low=0, high=5):
    return st.integers(low, high)


def rnn_inputs():
    return st.tuples(scalar(-1, 1), vector(-1, 1, 0, 8))


CASES = {  # function -> strategies of its arguments (floats are differentiated, ints are not)
    corpus.for_range_sum_sin: [scalar(), count()],
    corpus.for_range_sin_times_cos: [scalar(), count()],
    corpus.for_range_start_stop: [scalar(), count(0, 3), count(0, 6)],
    corpus.for_range_step: [scalar(0.1, 1), count(0, 7)],
    corpus.for_range_negative_step: [scalar(), count()],
    corpus.for_range_computed_bounds: [vector(min_size=2), scalar()],
    corpus.for_range_zero_trip: [scalar(), count()],
    corpus.for_range_overwrites_variable: [scalar(), count()],
    corpus.for_range_product: [scalar(0.1, 1), count()],
    corpus.for_range_two_carried_values: [scalar(), scalar(), count()],
    corpus.for_range_vector_accumulate: [vector(), count()],
    corpus.for_range_reads_array_elements: [vector(min_size=3, max_size=3),
                                            vector(min_size=3, max_size=3)],
    corpus.for_range_recurrence_tanh: [scalar(-1, 1), vector(-1, 1, 1, 8)],
    corpus.for_range_index_arithmetic: [vector()],
    corpus.for_range_calls_user_function: [scalar(), count()],
    corpus.for_range_calls_function_with_branch: [scalar(), count()],
    corpus.for_range_loop_variable_after_loop: [scalar(), count()],
    corpus.for_over_array_rows: [matrix(), None],
    corpus.for_over_vector_values: [vector()],
    corpus.for_enumerate: [matrix()],
    corpus.for_nested_loops: [scalar(), count(0, 4), count(0, 4)],
    corpus.for_nested_triangular: [scalar(), count()],
    corpus.for_nested_over_matrix: [matrix()],
    corpus.user_function_with_loop: [scalar(), count()],
    corpus.while_newton_sqrt: [scalar(0.5, 4)],
    corpus.while_halving: [scalar(0.2, 3)],
    corpus.while_counter: [scalar(), count()],
    corpus.while_zero_trip: [scalar()],
    corpus.while_with_inner_for: [scalar(0.2, 2), count(0, 3)],
    corpus.while_past_tape_room: [scalar(), count(4090, 4100)],
    corpus.if_else_scalar: [scalar()],
    corpus.if_without_else: [scalar()],
    corpus.if_elif_else: [scalar(-0.9, 1.5)],
    corpus.if_conditional_expression: [scalar()],
    corpus.if_nested_conditional_expression: [scalar()],
    corpus.if_and_or_not_tests: [scalar(), scalar(-2, 1.5)],
    corpus.if_branch_on_array_sum: [vector()],
    corpus.if_branches_assign_different_variables: [scalar()],
    corpus.if_defines_variable_used_later: [scalar()],
    corpus.if_inside_loop: [scalar(), count()],
    corpus.if_elif_inside_loop: [scalar(), count(0, 7)],
    corpus.if_on_carried_value_inside_loop: [scalar(0.1, 1.5), count()],
    corpus.if_loop_inside_branch: [scalar(), count()],
    corpus.break_at_first_negative: [vector(-1, 2)],
    corpus.break_out_of_while: [scalar(0.1, 1)],
    corpus.break_inner_loop_only: [scalar(), count(0, 4), count(0, 4)],
    corpus.continue_skips_small_values: [vector()],
    corpus.continue_and_break: [vector(-2, 2)],
    corpus.return_early_from_branch: [scalar(-1, 2)],
    corpus.return_multiple: [scalar(-1, 2)],
    corpus.return_from_loop: [scalar(0.5, 1.5), scalar(1.05, 1.5)],
    corpus.return_from_nested_loop: [scalar(0.5, 1.5), count(0, 4)],
    corpus.return_from_while: [scalar(0.2, 2)],
    corpus.write_elements_of_zeros: [scalar(), vector(min_size=3, max_size=3)],
    corpus.write_same_element_many_times: [scalar(), count()],
    corpus.write_slices: [vector(), scalar()],
    corpus.write_augmented_2d: [matrix()],
    corpus.write_into_argument: [vector(min_size=2)],
    corpus.write_cumulative_recurrence: [vector()],
    corpus.write_heat_equation: [vector(min_size=3, max_size=8), count(0, 4)],
    corpus.write_copy_then_modify: [vector()],
    corpus.write_arange_weights: [vector()],
    corpus.write_zeros_like_rebound: [vector(), count()],
    corpus.write_in_branch: [vector(min_size=2), scalar()],
    corpus.write_in_while: [scalar()],
    corpus.write_reads_value_it_overwrites: [vector(), scalar()],
    corpus.write_method_copy: [vector()],
    corpus.write_after_while_loop: [scalar(0.3, 1.8)],
}


def test_corpus_is_complete():
    named = [f for name, f in inspect.getmembers(corpus, inspect.isfunction)
             if not name.startswith("helper")]
    assert set(named) == set(CASES), set(named) ^ set(CASES)
    assert len(CASES) >= 60


@pytest.mark.parametrize("func", list(CASES), ids=lambda f: f.__name__)
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_gradient_matches_finite_differences(func, data):
    strategies = CASES[func]
    args = []
    for k, strategy in enumerate(strategies):
        if strategy is None:        # a vector matching the previous matrix's columns
            strategy = arrays((args[-1].shape[1],))
        args.append(data.draw(strategy, label=f"argument {k}"))
    wrt = tuple(k for k, a in enumerate(args) if not isinstance(a, int))
    check_both_modes(func, tuple(args), wrt=wrt)


@pytest.mark.parametrize("jit", [True, False], ids=["jit", "python"])
def test_writes_leave_the_callers_arrays_untouched(jit):
    v = np.array([0.5, -1.0, 2.0])
    before = v.copy()
    g = adc.grad(corpus.write_into_argument, jit=jit)(v)
    np.testing.assert_array_equal(v, before)
    np.testing.assert_allclose(g, [18 * 0.5, 8 * -1.0, 8 * 2.0])
    u = np.linspace(0.0, 1.0, 6)
    start = u.copy()
    adc.grad(corpus.write_heat_equation, jit=jit)(u, 3)
    np.testing.assert_array_equal(u, start)


@pytest.mark.parametrize("jit", [True, False], ids=["jit", "python"])
def test_while_loop_tapes_take_float32_and_float64(jit):
    """A while loop's scalars are recorded in arrays of a type holding its arguments' floats,
    and past the arrays' room in lists."""
    for dtype in (np.float32, np.float64):
        for n in (5, 5000):
            g = adc.grad(corpus.while_past_tape_room, jit=jit)(dtype(0.7), n)
            assert type(g) is dtype
            exact = adc.grad(corpus.while_past_tape_room, jit=jit)(0.7, n)
            np.testing.assert_allclose(g, exact, rtol=1e-4 if dtype is np.float32 else 1e-12)
