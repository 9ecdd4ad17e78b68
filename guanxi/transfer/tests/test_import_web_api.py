"""Import pages and the imports API: permissions, bad input, query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.customers.models import Customer
from guanxi.transfer import services
from guanxi.transfer.models import Import

pytestmark = pytest.mark.django_db

CONTENT = "姓名,手机,邮箱\n张三,13800138000,zs@example.com\n李四,12345,\n".encode()


def upload(client, content=CONTENT, name="c.csv"):
    return client.post(reverse("transfer:import_new"), {"file": SimpleUploadedFile(name, content)})


def test_upload_map_dry_run_then_import(two_teams, client, django_capture_on_commit_callbacks):
    client.force_login(two_teams.rep_a)
    assert client.get(reverse("transfer:import_new")).status_code == 200
    response = upload(client)
    imp = Import.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("transfer:import_mapping", args=[imp.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    # The suggestions are preselected.
    assert b'<option value="mobile" selected>' in page.content
    form = {"col_0": "display_name", "col_1": "mobile", "col_2": "email", "mode": "create",
            "key": "", "kind": "person", "dry_run": "on"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("transfer:import_mapping", args=[imp.pk]), form)
    assert response.status_code == 302
    imp.refresh_from_db()
    assert (imp.status, imp.dry_run, imp.created_count, imp.error_count) == ("done", True, 1, 1)
    assert not Customer.objects.exists()
    detail = client.get(reverse("transfer:import_detail", args=[imp.pk]))
    assert "李四".encode() not in detail.content or b"12345" in detail.content
    assert reverse("transfer:import_run", args=[imp.pk]).encode() in detail.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("transfer:import_run", args=[imp.pk]))
    imp.refresh_from_db()
    assert (imp.dry_run, imp.created_count) == (False, 1)
    assert Customer.objects.get().display_name == "张三"
    # The imported customer's page and history show it like any other.
    customer = Customer.objects.get()
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200
    assert client.get(reverse("customers:history", args=[customer.pk])).status_code == 200
    errors = client.get(reverse("transfer:import_error_file", args=[imp.pk]))
    assert errors.status_code == 200
    assert "李四".encode() in errors.content
    # Importing the same file again for real is refused.
    again = client.post(reverse("transfer:import_run", args=[imp.pk]), follow=True)
    assert "already been imported" in again.content.decode()


def test_progress_partial_is_polled_while_running(two_teams, client):
    client.force_login(two_teams.rep_a)
    upload(client)
    imp = Import.objects.get()
    Import.objects.filter(pk=imp.pk).update(status="running", total_rows=10, rows_done=4)
    page = client.get(reverse("transfer:import_detail", args=[imp.pk]), HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in page.content and b"width: 40%" in page.content
    assert b"<html" not in page.content


def test_bad_uploads_answer_400_with_the_message(two_teams, client, settings):
    client.force_login(two_teams.rep_a)
    response = upload(client, b"", "c.csv")
    assert response.status_code == 400
    response = upload(client, b"\x00\x01\x02", "c.csv")
    assert response.status_code == 400 and b"not a text" in response.content
    response = upload(client, CONTENT, "c.xlsx")
    assert response.status_code == 400 and b"not an Excel workbook" in response.content
    settings.IMPORT_MAX_FILE_SIZE = 10
    response = upload(client)
    assert response.status_code == 400 and b"too big" in response.content
    response = upload(client, CONTENT * 30000)  # refused before the body is read
    assert response.status_code == 413 and b"too big" in response.content
    assert client.post(reverse("transfer:import_new"), {}).status_code == 400


def test_bad_mapping_answers_400(two_teams, client):
    client.force_login(two_teams.rep_a)
    upload(client)
    imp = Import.objects.get()
    url = reverse("transfer:import_mapping", args=[imp.pk])
    response = client.post(
        url, {"col_0": "", "col_1": "mobile", "mode": "update", "kind": "person"}
    )
    assert response.status_code == 400
    assert b"Choose how rows are matched" in response.content
    response = client.post(url, {"col_0": "bogus", "mode": "create", "kind": "person"})
    assert response.status_code == 400


def test_import_pages_are_private(two_teams, client):
    client.force_login(two_teams.rep_a)
    upload(client)
    imp = Import.objects.get()
    client.force_login(two_teams.rep_b)
    for name in ("import_detail", "import_mapping", "import_error_file"):
        assert client.get(reverse(f"transfer:{name}", args=[imp.pk])).status_code == 404
    assert client.post(reverse("transfer:import_run", args=[imp.pk])).status_code == 404
    client.force_login(two_teams.analyst)  # may not import at all
    assert client.get(reverse("transfer:import_list")).status_code == 403
    assert client.get(reverse("transfer:import_new")).status_code == 403


def test_import_list_query_count(two_teams, client, django_assert_max_num_queries):
    for _ in range(5):
        services.upload_import(actor=two_teams.rep_a, filename="c.csv", content=CONTENT)
    client.force_login(two_teams.rep_a)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("transfer:import_list"))
    assert response.status_code == 200 and response.content.count(b"c.csv") == 5


def test_import_detail_query_count(two_teams, client, django_assert_max_num_queries, run_import):
    content = ("姓名,手机\n" + "".join(f"x{i},123\n" for i in range(30))).encode()
    imp = run_import(two_teams.rep_a, content)
    assert imp.error_count == 30
    client.force_login(two_teams.rep_a)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("transfer:import_detail", args=[imp.pk]))
    assert response.status_code == 200


# --- API ----------------------------------------------------------------------------------------


def test_api_upload_with_mapping_and_dry_run(two_teams, api, django_capture_on_commit_callbacks):
    client = api(two_teams.rep_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports/",
            {
                "file": SimpleUploadedFile("c.csv", CONTENT),
                "mapping": '{"姓名": "display_name", "手机": "mobile"}',
                "mode": "create",
                "dry_run": "true",
            },
            format="multipart",
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["dry_run"] is True and body["mapping"] == {"0": "display_name", "1": "mobile"}
    pk = body["id"]
    detail = client.get(f"/api/v1/imports/{pk}/").json()
    assert (detail["status"], detail["created_count"], detail["error_count"]) == ("done", 1, 1)
    errors = client.get(f"/api/v1/imports/{pk}/errors/").json()
    assert errors["results"][0]["row_number"] == 3 and errors["results"][0]["column"] == "手机"
    assert client.get(f"/api/v1/imports/{pk}/error-file/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/imports/{pk}/start/", {"dry_run": False}, format="json")
    assert response.status_code == 202, response.content
    assert Customer.objects.get().display_name == "张三"
    # Another user sees none of it.
    other = api(two_teams.rep_b)
    assert other.get(f"/api/v1/imports/{pk}/").status_code == 404
    assert other.get(f"/api/v1/imports/{pk}/errors/").status_code == 404
    assert other.get("/api/v1/imports/").json()["results"] == []


def test_api_bad_input(two_teams, api, settings):
    client = api(two_teams.rep_a)
    assert client.post("/api/v1/imports/", {}, format="multipart").status_code == 400
    response = client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("c.csv", CONTENT), "mapping": "{not json"},
        format="multipart",
    )
    assert response.status_code == 400 and "mapping" in response.json()
    response = client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("c.csv", CONTENT), "mode": "update"},
        format="multipart",
    )
    assert response.status_code == 400 and "key" in response.json()
    response = client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("c.xlsx", b"PK\x03\x04zz")},
        format="multipart",
    )
    assert response.status_code == 400 and "file" in response.json()
    settings.IMPORT_MAX_FILE_SIZE = 10
    response = client.post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("c.csv", CONTENT * 30000)},
        format="multipart",
    )
    # Refused before the body is read, with the limit, as the web page says it.
    assert response.status_code == 413
    assert "too big" in response.json()["file"][0]
    response = client.post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("c.csv", CONTENT)}, format="multipart"
    )
    assert response.status_code == 400 and "too big" in str(response.json())
    assert (
        api(two_teams.analyst)
        .post(
            "/api/v1/imports/", {"file": SimpleUploadedFile("c.csv", CONTENT)}, format="multipart"
        )
        .status_code
        == 403
    )
    assert api().get("/api/v1/imports/").status_code in (401, 403)


def test_api_rep_cannot_update_another_reps_customer(
    two_teams, api, django_capture_on_commit_callbacks
):
    from guanxi.customers import services as customer_services

    theirs = customer_services.create_customer(
        actor=two_teams.rep_b, data={"display_name": "乙", "external_id": "E1"}
    )
    content = "外部编号,行业\nE1,制造\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(two_teams.rep_a).post(
            "/api/v1/imports/",
            {"file": SimpleUploadedFile("c.csv", content), "mode": "update", "key": "external_id",
             "mapping": '{"0": "external_id", "1": "industry"}'},
            format="multipart",
        )  # fmt: skip
    assert response.status_code == 202
    detail = api(two_teams.rep_a).get(f"/api/v1/imports/{response.json()['id']}/").json()
    assert (detail["updated_count"], detail["error_count"]) == (0, 1)
    theirs.refresh_from_db()
    assert theirs.industry == ""


def test_the_menu_offers_import_and_exports_only_to_roles_that_may_use_them(two_teams, client):
    """A menu entry that leads to "You may not open this page" is a dead link: a rep may
    import but not export, an analyst export but not import, a manager both."""
    imports, exports = reverse("transfer:import_list"), reverse("transfer:export_list")
    for user, may_import, may_export in (
        (two_teams.rep_a, True, False),
        (two_teams.analyst, False, True),
        (two_teams.manager_a, True, True),
    ):
        client.force_login(user)
        menu = client.get(reverse("home")).content.decode()
        assert (f'href="{imports}"' in menu) is may_import, user
        assert (f'href="{exports}"' in menu) is may_export, user
        assert (client.get(imports).status_code == 200) is may_import
        assert (client.get(exports).status_code == 200) is may_export


def test_someone_elses_import_is_not_found_in_the_users_language(two_teams, api, settings):
    """A 404 of the API says "Not found." in the user's language, like every other; not
    Django's untranslated "No Import matches the given query." (which names the model)."""
    from django.utils import translation

    imp = services.upload_import(actor=two_teams.rep_b, filename="c.csv", content=CONTENT)
    client = api(two_teams.rep_a)
    with translation.override("zh-hans"):
        for response in (
            client.get(f"/api/v1/imports/{imp.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"),
            client.post(f"/api/v1/imports/{imp.pk}/start/", {}, format="json",
                        HTTP_ACCEPT_LANGUAGE="zh-hans"),
        ):  # fmt: skip
            assert response.status_code == 404
            assert "Import" not in response.json()["detail"]
            assert response.json()["detail"] == "未找到。"
