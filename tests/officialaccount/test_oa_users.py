"""Users, tags and the blacklist: paging written once, limits checked, the sandbox's state."""

from __future__ import annotations

import json

import msgspec
import pytest

from wxcore.adapters.officialaccount import OfficialAccount
from wxcore.adapters.sandbox import WeChatSandbox
from wxcore.adapters.sandbox.oa_users import SEEDED_FOLLOWERS, follow, unfollow, users_of
from wxcore.errors import UsageError
from wxcore.officialaccount import tags, users
from wxcore.officialaccount.errors import InvalidOpenidError, TagError
from wxcore.officialaccount.users import OpenidPage, next_cursor


def page(count: int, next_openid: str, total: int = -1) -> OpenidPage:
    return msgspec.json.decode(json.dumps({
        "total": total, "count": count, "next_openid": next_openid,
        **({"data": {"openid": [f"o{i}" for i in range(count)]}} if count else {})}),
        type=OpenidPage)


def test_next_cursor_rule() -> None:
    assert next_cursor(page(3, "o2"), seen=3) == "o2"  # no total (a tag's users): go on
    assert next_cursor(page(3, "o2", total=10), seen=3) == "o2"
    assert next_cursor(page(3, "o2", total=10), seen=10) is None  # all seen: no empty call
    assert next_cursor(page(0, ""), seen=5) is None
    assert next_cursor(page(2, ""), seen=2) is None  # no cursor given


def test_builders_send_the_documented_requests() -> None:
    info = users.get_user_info("o1", "en")
    assert (info.request.method, info.request.path, info.request.query) == (
        "GET", "/cgi-bin/user/info", (("openid", "o1"), ("lang", "en")))
    assert users.get_followers().request.query == (("next_openid", ""),)
    assert json.loads(users.get_users_info(["a", "b"]).request.body) == {
        "user_list": [{"openid": "a", "lang": "zh_CN"}, {"openid": "b", "lang": "zh_CN"}]}
    assert json.loads(tags.tag_users(134, ["a"]).request.body) == {"openid_list": ["a"],
                                                                   "tagid": 134}
    assert json.loads(tags.get_tag_users(134, "a").request.body) == {"tagid": 134,
                                                                     "next_openid": "a"}


@pytest.mark.parametrize(("build", "message"), [
    (lambda: users.get_users_info([f"o{i}" for i in range(101)]), "at most 100 openids"),
    (lambda: users.get_users_info([]), "at least one openid"),
    (lambda: users.batch_blacklist([f"o{i}" for i in range(21)]), "at most 20 openids"),
    (lambda: tags.tag_users(100, [f"o{i}" for i in range(51)]), "at most 50 openids"),
    (lambda: tags.untag_users(100, ["o1", "o1"]), "same openid twice"),
    (lambda: users.get_user_info("o1", "fr"), "lang must be one of"),  # type: ignore[arg-type]  # wrong on purpose: refused at run time
    (lambda: users.update_remark("o1", "x" * 31), "remark may have at most 30"),
    (lambda: tags.create_tag("标" * 31), "name may have at most 30"),
    (lambda: tags.update_tag(2, "星标"), "system tags"),
    (lambda: tags.delete_tag(1), "system tags"),
    (lambda: tags.get_tag_users(-1), "not negative"),
    (lambda: users.get_user_info(""), "openid must be a non-blank string"),
])
def test_limits_are_checked_before_sending(build, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=message):
        build()


def test_openid_pages_passes_each_cursor_back_until_next_cursor_ends() -> None:
    calls = users.openid_pages(users.get_blacklist, "o_start")
    asked = [next(calls), calls.send(page(3, "o2", total=5))]
    assert [json.loads(call.request.body)["begin_openid"] for call in asked] == ["o_start", "o2"]
    with pytest.raises(StopIteration):  # 5 of a known 5 seen: no third, empty call
        calls.send(page(2, "o1", total=5))


def test_iter_followers_pages_through_every_follower(oa: OfficialAccount,
                                                     sandbox: WeChatSandbox) -> None:
    first = oa.get_followers()
    assert first.total == SEEDED_FOLLOWERS and first.count == users_of(sandbox).page_size
    everyone = list(oa.iter_followers())
    assert len(everyone) == len(set(everyone)) == SEEDED_FOLLOWERS
    assert everyone[:first.count] == first.openids
    # 300 followers, 100 a page: 3 pages; the known total saves a fourth, empty call
    assert sandbox.calls["/cgi-bin/user/get"] == 1 + 3
    newcomer = follow(sandbox, "dora")
    unfollow(sandbox, everyone[0])
    again = list(oa.iter_followers())
    assert again[-1] == newcomer and everyone[0] not in again and len(again) == 300
    assert list(oa.iter_followers(everyone[-2])) == [everyone[-1], newcomer]


def test_iterators_check_their_arguments_at_once(oa: OfficialAccount) -> None:
    with pytest.raises(UsageError, match="tag_id"):
        oa.iter_tag_users("vip")  # type: ignore[arg-type]


def test_user_info_batch_and_remark(oa: OfficialAccount, sandbox: WeChatSandbox) -> None:
    alice = follow(sandbox, "alice", scene="ADD_SCENE_PROFILE_CARD")
    info = oa.get_user_info(alice)
    assert (info.subscribe, info.openid, info.subscribe_scene) == (1, alice,
                                                                  "ADD_SCENE_PROFILE_CARD")
    assert info.unionid == sandbox.unionid_for("alice")
    oa.update_remark(alice, "老客户")
    assert oa.get_user_info(alice).remark == "老客户"
    unfollow(sandbox, alice)
    gone = oa.get_users_info([alice]).user_info_list[0]
    assert (gone.subscribe, gone.openid, gone.remark) == (0, alice, "")
    with pytest.raises(InvalidOpenidError):
        oa.get_user_info("oUnknownOpenid")


def test_tags_lifecycle(oa: OfficialAccount, sandbox: WeChatSandbox) -> None:
    assert [(t.id, t.name) for t in oa.get_tags().tags] == [(2, "星标组")]
    vip = oa.create_tag("VIP").tag
    with pytest.raises(TagError) as duplicate:
        oa.create_tag("VIP")
    assert duplicate.value.errcode == 45157
    fans = list(oa.iter_followers())[:120]
    for start in range(0, 120, 50):
        oa.tag_users(vip.id, fans[start:start + 50])
    assert {t.id: t.count for t in oa.get_tags().tags}[vip.id] == 120
    members = list(oa.iter_tag_users(vip.id))
    assert members == fans and sandbox.calls["/cgi-bin/user/tag/get"] == 3  # no total: 2 + 1
    assert oa.get_user_tags(fans[0]).tagid_list == [vip.id]
    oa.untag_users(vip.id, fans[:1])
    assert oa.get_user_tags(fans[0]).tagid_list == []
    oa.update_tag(vip.id, "VVIP")
    assert oa.get_tags().tags[-1].name == "VVIP"
    oa.delete_tag(vip.id)
    assert oa.get_user_tags(fans[1]).tagid_list == []
    with pytest.raises(TagError) as unknown:
        oa.tag_users(vip.id, fans[:1])
    assert unknown.value.errcode == 45159


def test_a_user_carries_at_most_twenty_tags(oa: OfficialAccount) -> None:
    fan = next(oa.iter_followers())
    for number in range(20):
        oa.tag_users(oa.create_tag(f"t{number}").tag.id, [fan])
    extra = oa.create_tag("one too many").tag.id
    with pytest.raises(TagError) as refused:
        oa.tag_users(extra, [fan])
    assert refused.value.errcode == 45059


def test_blacklist(oa: OfficialAccount) -> None:
    fans = list(oa.iter_followers())[:25]
    oa.batch_blacklist(fans[:20])
    oa.batch_blacklist(fans[20:])
    assert list(oa.iter_blacklist()) == fans
    assert oa.get_blacklist().total == 25
    oa.batch_unblacklist(fans[:5])
    assert list(oa.iter_blacklist()) == fans[5:]
    with pytest.raises(InvalidOpenidError):
        oa.batch_blacklist(["oNotAFollowerOfThisAccount"])


def test_retired_group_methods_do_not_exist(oa: OfficialAccount) -> None:
    for retired in ("create_group", "get_groups", "get_group_by_id", "update_group",
                    "move_user"):
        assert not hasattr(oa, retired), retired


def test_change_openid_after_a_migration(oa: OfficialAccount, sandbox: WeChatSandbox) -> None:
    old = sandbox.add_app("wx0123456789abcdef", "old0account0secret0000000000000", original_id="gh_0ld")
    moved, gone = follow(sandbox, "frank", old.appid), follow(sandbox, "gina", old.appid)
    unfollow(sandbox, gone, old.appid)
    result = oa.change_openid("gh_0ld", [moved, gone]).result_list
    assert result[0].new_openid == sandbox.openid_for(sandbox.default_app.appid, "frank")
    assert (result[1].ori_openid, result[1].new_openid, result[1].err_msg) == (
        gone, "", "ori_openid error")
    with pytest.raises(UsageError, match="at most 100 openids"):
        users.change_openid("gh_0ld", [f"o{i}" for i in range(101)])
