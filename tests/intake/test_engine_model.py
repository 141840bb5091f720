import json
from datetime import date

from duban.intake.engine import Draft, analyse


def test_draft_round_trips_through_json():
    text = ("讲话\n（2017年2月19日）\n\n一、工作\n\n重点做好两项工作：一是三年内完成10个村改造；二是市纪委要加强监督。\n")
    draft = analyse(text, filename="r.txt")
    data = json.loads(draft.to_json())
    assert data["meta"]["speech_date"] == "2017-02-19"
    again = Draft.from_json(draft.to_json())
    assert again == draft
    assert again.tasks()[0].deadline.date == date(2020, 2, 19)
    assert again.tasks()[0].targets[0].quantity == 10


def test_seed_draft_round_trips(seed_draft):
    assert Draft.from_dict(json.loads(json.dumps(seed_draft.to_dict()))) == seed_draft
