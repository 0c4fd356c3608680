"""MedCalc-Bench verifier: official rules for decimals, integer scores, dates, gestational age."""

import pytest

from med_u1.rewards.contract import Reference, RewardConfig
from med_u1.rewards.medcalc import (
    _NUMBER,
    calculator_output_type,
    concluding_statement,
    infer_output_type,
    output_type_of,
    parse_date,
    parse_number,
    parse_weeks_days,
    verify_medcalc,
)


def correct(pred: str, truth: str, lower=None, upper=None, output_type=None, **knobs) -> bool:
    reference = Reference(ground_truth=truth, lower_limit=lower, upper_limit=upper, output_type=output_type)
    return verify_medcalc(pred, reference, RewardConfig(**knobs)).correct


@pytest.mark.parametrize(
    "text,value",
    [("26.5", 26.5), ("26.5 kg/m^2", 26.5), ("approximately 402.772 mL/min", 402.772), ("= 38", 38.0),
     ("BMI = 2 + 24.1 = 26.1", 26.1), ("1,234.5", 1234.5), ("9.000e+00", 9.0), ("-1.5", -1.5), (".5", 0.5),
     ("38mL", 38.0), ("\u22123", -3.0), ("NaN", None), ("inf", None), ("Infinity", None), ("no number", None)],
)
def test_parse_number(text, value):
    assert parse_number(text) == value


def test_decimal_answers_within_limits_inclusive():
    assert correct("25.2339", "26.562", "25.2339", "27.8901")
    assert correct("27.8901 kg/m^2", "26.562", "25.2339", "27.8901")
    assert not correct("27.9", "26.562", "25.2339", "27.8901")
    assert not correct("NaN", "1.733", "1.64635", "1.81965")
    assert not correct("-1.5", "1.5", "1.425", "1.575")


def test_integer_scores_are_rounded_like_the_official_evaluator():
    assert output_type_of("3", "3", "3", "None") == "integer"
    assert correct("3.4", "3", "3", "3")
    assert correct("3.0", "3", "3", "3")
    assert not correct("3.6", "3", "3", "3")
    assert correct("2.5", "2", "2", "2")  # Python's round: half to even, as the official script
    assert not correct("4", "3", "3", "3")


def test_decimal_ground_truth_that_happens_to_be_integral_keeps_its_range():
    assert output_type_of("104", "98.8", "109.2", "None") == "decimal"
    assert correct("106.784", "104", "98.8", "109.2")


@pytest.mark.parametrize("pred", ["09/23/2014", "9/23/2014", "2014-09-23", "September 23, 2014", "The due date is 09/23/2014."])
def test_dates_compare_as_dates(pred):
    assert correct(pred, "09/23/2014", "09/23/2014", "09/23/2014")


def test_wrong_date_is_wrong():
    assert parse_date("10/27/2023") != parse_date("10/26/2023")
    assert not correct("10/27/2023", "10/26/2023", "10/26/2023", "10/26/2023")


@pytest.mark.parametrize("pred", ["('17 weeks', '6 days')", "(17 weeks, 6 days)", '("17 weeks", "6 days")',
                                  "17 weeks and 6 days", "(17, 6)", "17w 6d"])
def test_gestational_age_written_any_way(pred):
    assert parse_weeks_days(pred) == (17, 6)
    assert correct(pred, "('17 weeks', '6 days')", "('17 weeks', '6 days')", "('17 weeks', '6 days')")


def test_wrong_gestational_age_is_wrong():
    assert not correct("('18 weeks', '6 days')", "('17 weeks', '6 days')")


@pytest.mark.parametrize("lower,upper", [(None, None), ("nan", "nan"), (float("nan"), float("nan")), ("n/a", "12"), ("12", "10")])
def test_missing_or_broken_limits_fall_back_to_tolerance(lower, upper):
    assert correct("10.4", "10.0", lower, upper)
    assert not correct("10.6", "10.0", lower, upper)
    assert correct("10.9", "10.0", lower, upper, calc_tolerance=0.1)


def test_output_type_overrides_inference():
    assert correct("3.4", "3", None, None, output_type="integer")
    assert not correct("3.4", "3", None, None, output_type="decimal")


@pytest.mark.parametrize(
    "truth,lower,upper,expected",
    [("3", "3", "3", "integer"), ("0", "0", "0", "decimal"), ("3", None, None, "decimal"), ("3.0", "3", "3", "decimal"),
     ("09/23/2014", None, None, "date"), ("('17 weeks', '6 days')", None, None, "tuple"), ("2.5", "2.5", "2.5", "decimal")],
)
def test_inference_for_rows_without_output_type_or_calculator(truth, lower, upper, expected):
    assert infer_output_type(truth, lower, upper) == expected


@pytest.mark.parametrize("calculator,expected", [(13, "date"), ("68", "date"), (69, "tuple"), ("4", "integer"), (2.0, "decimal"), (67, "decimal"), (999, None), ("x", None)])
def test_official_calculator_ids(calculator, expected):
    assert calculator_output_type(calculator) == expected


@pytest.mark.parametrize("meta", [{"calculator_id": "4"}, '{"calculator_id": "4", "category": "severity"}'])
def test_calculator_id_in_meta_sets_the_output_type(meta):
    from med_u1.rewards import compute_score

    response = "<think>x</think><answer>3.4</answer>"
    assert compute_score("MedCalc-Bench", response, "3", {"meta": meta})["acc"] == 1.0  # integer score: rounded
    assert compute_score("MedCalc-Bench", response, "3", {})["acc"] == 0.0  # inferred decimal: 3 +- 5%
    assert compute_score("MedCalc-Bench", response, "3", {"meta": meta, "output_type": "decimal"})["acc"] == 0.0


def explanation_reference(record: dict, truth: str | None = None) -> Reference:
    limits = (record["lower_limit"], record["upper_limit"]) if truth is None else (None, None)
    return Reference(ground_truth=truth or record["ground_truth"], lower_limit=limits[0], upper_limit=limits[1])


def test_official_worked_solutions_are_read_by_their_conclusion(medcalc_dev_records):
    """MedCalc-Bench's own ground-truth explanations, as answers, match their own ground truth."""
    misread = [record["uid"] for record in medcalc_dev_records
               if not verify_medcalc(record["raw"]["Ground Truth Explanation"], explanation_reference(record), RewardConfig()).correct]
    assert len(misread) <= len(medcalc_dev_records) // 100, misread


def test_a_wrong_conclusion_is_never_rescued_by_the_working(medcalc_dev_records):
    """With its concluding value changed, no explanation is paid, though its working states the truth."""
    checked = 0
    for record in medcalc_dev_records:
        explanation, truth = record["raw"]["Ground Truth Explanation"], record["ground_truth"]
        concluding = concluding_statement(explanation)
        number = parse_number(concluding) if concluding else None
        if number is None or "week" in truth or "/" in truth:
            continue
        written = _NUMBER.findall(concluding)[-1]
        head, _, tail = concluding.rpartition(written)
        answer = explanation.replace(concluding, f"{head}{abs(number) * 3 + 17:g}{tail}")
        assert not verify_medcalc(answer, explanation_reference(record), RewardConfig()).correct, record["uid"]
        checked += 1
    assert checked >= 150


def test_numbers_of_the_working_are_never_the_answer(medcalc_dev_records):
    """Every number of an explanation's working, taken as the ground truth, is not what it answers."""
    checked = 0
    for record in medcalc_dev_records:
        explanation = record["raw"]["Ground Truth Explanation"]
        concluding = concluding_statement(explanation)
        answer = parse_number(concluding) if concluding else None
        if answer is None or "/" in record["ground_truth"]:
            continue
        for written in set(_NUMBER.findall(explanation[: explanation.rfind(concluding)])):
            value = float(written.replace(",", ""))
            if abs(value - answer) > 0.1 * max(abs(answer), 1):
                reference = Reference(ground_truth=written, lower_limit=value - abs(value) / 100, upper_limit=value + abs(value) / 100)
                assert not verify_medcalc(explanation, reference, RewardConfig()).correct, (record["uid"], written)
                checked += 1
    assert checked >= 1000
