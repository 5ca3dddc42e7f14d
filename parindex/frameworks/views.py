"""Pages of the framework library: list, detail tree with totals, import (preview, then confirm), export, clone,
activation, diff, history and the htmx editor of drafts. Every view calls an access helper first."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import access, diff, formats, rules, selectors, services
from .forms import (
    CloneForm,
    FrameworkForm,
    ImportForm,
    NewNodeForm,
    NodeForm,
    PreviewForm,
    rule_from_text,
    rule_to_text,
)
from .models import Framework, FrameworkStatus, Node
from .spec import METHOD_LABELS, PROVENANCE_LABELS, SpecError, kind_label, summary, validate

SESSION_IMPORTS = "framework_imports"
NAV = "frameworks"


def _imports_dir() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "framework_imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_stale_uploads(folder: Path, max_age_seconds: int = 24 * 3600) -> None:
    """Uploads previewed but never confirmed are removed after a day."""
    now = time.time()
    for path in folder.iterdir():
        try:
            if path.is_file() and now - path.stat().st_mtime > max_age_seconds:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def _short(value) -> Decimal:
    """9.50 → 9.5, 2.00 → 2: how the number is shown in a form."""
    value = Decimal(value)
    return value.to_integral_value() if value == value.to_integral_value() else value.normalize()


def _validation_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for ms in exc.message_dict.values() for m in ms]
    return [str(m) for m in exc.messages]


# --- list, detail, export ---------------------------------------------------------------------------------------


@login_required
@require_GET
def framework_list(request):
    frameworks = access.frameworks_visible(request.user).order_by("status", "-year_from", "code")
    groups = [(label, [f for f in frameworks if f.status == status]) for status, label in FrameworkStatus.choices]
    context = {
        "groups": [(label, items) for label, items in groups if items],
        "can_create": access.owners_for(request.user).exists(),
        "nav_active": NAV,
    }
    return render(request, "frameworks/list.html", context)


@login_required
@require_GET
def framework_detail(request, pk):
    framework = access.require_framework_read(request.user, pk)
    tree = selectors.framework_tree(framework)
    context = {
        "framework": framework,
        "tree": tree,
        "info": tree["summary"],
        "problems": [str(p) for p in validate(tree["spec"])],
        "can_manage": access.can_manage(request.user, framework),
        "versions": selectors.framework_versions(framework),
        "method_labels": METHOD_LABELS,
        "provenance_labels": PROVENANCE_LABELS,
        "nav_active": NAV,
    }
    return render(request, "frameworks/detail.html", context)


@login_required
@require_GET
def framework_export(request, pk, fmt):
    framework = access.require_framework_read(request.user, pk)
    if fmt not in ("yaml", "xlsx"):
        raise Http404(_("Định dạng không được hỗ trợ."))
    content = formats.write(selectors.framework_spec(framework), fmt)
    content_type = (
        "application/yaml; charset=utf-8"
        if fmt == "yaml"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{framework.code}.{fmt}"'
    return response


@login_required
@require_GET
def framework_history(request, pk):
    framework = access.require_framework_read(request.user, pk)
    context = {"framework": framework, "entries": selectors.framework_history(framework), "nav_active": NAV}
    return render(request, "frameworks/history.html", context)


@login_required
@require_GET
def framework_diff(request, pk):
    framework = access.require_framework_read(request.user, pk)
    choices = access.frameworks_visible(request.user).exclude(pk=framework.pk).order_by("-year_from", "code")
    other_id = request.GET.get("voi") or framework.previous_version_id
    other = access.require_framework_read(request.user, other_id) if other_id else None
    result = diff.diff(selectors.framework_spec(other), selectors.framework_spec(framework)) if other else None
    context = {
        "framework": framework,
        "other": other,
        "choices": choices,
        "result": result,
        "kinds": diff.KINDS,
        "nav_active": NAV,
    }
    return render(request, "frameworks/diff.html", context)


# --- import -----------------------------------------------------------------------------------------------------


@login_required
def framework_import(request):
    """Upload → read and check everything (nothing written) → preview; the file waits for the confirmation."""
    access.require_framework_creator(request.user)
    owners = access.owners_for(request.user).order_by("path")
    form = ImportForm(request.POST or None, request.FILES or None, owners=owners)
    context = {"form": form, "nav_active": NAV}
    if request.method == "POST" and form.is_valid():
        owner = access.require_framework_create(request.user, form.cleaned_data["owner"].pk)
        upload = form.cleaned_data["file"]
        content = upload.read()
        fmt = formats.guess_format(upload.name, content)
        try:
            spec = formats.read(content, fmt)
            if form.cleaned_data["code"]:
                spec["code"] = form.cleaned_data["code"]
            problems = [str(p) for p in validate(spec)]
            if Framework.objects.filter(code=spec["code"]).exists():
                problems.append(_("Mã bộ chỉ số “%(code)s” đã có; hãy nhập mã khác.") % {"code": spec["code"]})
        except SpecError as exc:
            spec, problems = None, exc.messages
        context.update(problems=problems, spec=spec)
        if spec is not None:
            rows = []
            depth: dict[str, int] = {}
            for item in spec["nodes"]:
                d = depth[item["code"]] = depth.get(item["parent"], 0) + 1
                rows.append({"item": item, "depth": d, "indent": f"{0.5 + (d - 1) * 1.25:.2f}", "kind": kind_label(d)})
            context.update(rows=rows, info=summary(spec), owner=owner)
        if not problems:
            token = uuid.uuid4().hex
            folder = _imports_dir()
            _forget_stale_uploads(folder)
            (folder / token).write_bytes(content)
            pending = request.session.get(SESSION_IMPORTS, {})
            pending[token] = {
                "owner": owner.pk,
                "fmt": fmt,
                "code": form.cleaned_data["code"] or "",
                "name": Path(upload.name).name[:200],
            }
            request.session[SESSION_IMPORTS] = pending
            context["token"] = token
    return render(request, "frameworks/import.html", context)


@login_required
@require_POST
def framework_import_confirm(request):
    access.require_framework_creator(request.user)
    token = request.POST.get("token", "")
    pending = request.session.get(SESSION_IMPORTS, {})
    entry = pending.get(token)
    path = _imports_dir() / token
    if not entry or not token.isalnum() or not path.is_file():
        messages.error(request, _("Tệp đã tải lên không còn (đã nhập hoặc quá hạn); hãy tải lên lại."))
        return redirect("frameworks:import")
    owner = access.require_framework_create(request.user, entry["owner"])
    try:
        framework = services.framework_import(
            content=path.read_bytes(), fmt=entry["fmt"], owner=owner, actor=request.user, code=entry["code"] or None
        )
    except SpecError as exc:
        for message in exc.messages[:20]:
            messages.error(request, message)
        return redirect("frameworks:import")
    pending.pop(token, None)
    request.session[SESSION_IMPORTS] = pending
    path.unlink(missing_ok=True)
    messages.success(
        request,
        _("Đã nhập bộ chỉ số “%(name)s” (%(n)s tiêu chí) dưới dạng dự thảo.")
        % {"name": framework.name, "n": framework.nodes.count()},
    )
    return redirect("frameworks:detail", pk=framework.pk)


# --- lifecycle ----------------------------------------------------------------------------------------------------


@login_required
def framework_clone(request, pk):
    framework = access.require_framework_manage(request.user, pk)
    next_year = (framework.year_to or framework.year_from or 2024) + 1
    initial = {
        "code": f"{framework.code}-{next_year}"[:64],
        "name": framework.name,
        "year_from": next_year,
        "year_to": None,
    }
    form = CloneForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            clone = services.framework_clone(framework=framework, actor=request.user, **form.cleaned_data)
        except (ValidationError, SpecError) as exc:
            messages_list = exc.messages if isinstance(exc, SpecError) else _validation_messages(exc)
            for message in messages_list:
                form.add_error(None, message)
        else:
            messages.success(request, _("Đã tạo phiên bản dự thảo “%(code)s”.") % {"code": clone.code})
            return redirect("frameworks:editor", pk=clone.pk)
    return render(request, "frameworks/clone.html", {"framework": framework, "form": form, "nav_active": NAV})


@login_required
@require_POST
def framework_activate(request, pk):
    framework = access.require_framework_manage(request.user, pk)
    try:
        services.framework_activate(framework=framework, actor=request.user)
    except SpecError as exc:
        messages.error(
            request, _("Chưa thể áp dụng: bộ chỉ số còn %(n)s lỗi (xem danh sách).") % {"n": len(exc.problems)}
        )
    except ValidationError as exc:
        messages.error(request, " ".join(_validation_messages(exc)))
    else:
        messages.success(request, _("Bộ chỉ số đã được đưa vào áp dụng; từ nay không sửa được nữa."))
    return redirect("frameworks:detail", pk=framework.pk)


@login_required
@require_POST
def framework_retire(request, pk):
    framework = access.require_framework_manage(request.user, pk)
    try:
        services.framework_retire(framework=framework, actor=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(_validation_messages(exc)))
    else:
        messages.success(request, _("Bộ chỉ số đã ngừng áp dụng."))
    return redirect("frameworks:detail", pk=framework.pk)


# --- editor (drafts) ----------------------------------------------------------------------------------------------


def _editable(request, pk) -> Framework:
    framework = access.require_framework_manage(request.user, pk)
    if framework.status != FrameworkStatus.DRAFT:
        raise ValidationError(_("Bộ chỉ số không còn là dự thảo; hãy nhân bản để sửa."))
    return framework


def _tree_context(framework: Framework) -> dict:
    framework.refresh_from_db()
    tree = selectors.framework_tree(framework)
    return {
        "framework": framework,
        "tree": tree,
        "info": tree["summary"],
        "problems": [str(p) for p in validate(tree["spec"])],
    }


def _parent_choices(framework: Framework, node: Node | None) -> list[tuple[int, str]]:
    excluded: set[int] = set()
    if node is not None:
        frontier = [node.pk]
        excluded.add(node.pk)
        while frontier:
            frontier = list(Node.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            excluded.update(frontier)
    rows = selectors.framework_tree(framework)["rows"]
    return [
        (row["node"].pk, f"{'— ' * (row['depth'] - 1)}{row['item']['code']}. {row['item']['name'][:60]}")
        for row in rows
        if row["node"].pk not in excluded
    ]


def _node_form(framework: Framework, node: Node, data=None) -> NodeForm:
    initial = {
        "code": node.code,
        "name": node.name,
        "parent": node.parent_id,
        "max_points": _short(node.max_points),
        "min_points": _short(node.min_points),
        "method": node.method,
        "rule": rule_to_text(node.rule),
        "description": node.description,
        "evidence": node.evidence,
        "evidence_kinds": "; ".join(node.evidence_kinds or []),
        "appraising_agency": node.appraising_agency,
        "sum_note": node.sum_note,
        "provenance": node.provenance,
        "source": node.source,
    }
    return NodeForm(data, initial=initial, parent_choices=_parent_choices(framework, node), prefix="node")


def _render_panel(request, framework, node, form, *, saved=False, with_tree=False):
    context = {
        "framework": framework,
        "node": node,
        "form": form,
        "saved": saved,
        "with_tree": with_tree,
        "rule_types": rules.RULE_TYPE_LABELS,
        "preview": _preview_context(node),
    }
    if with_tree:
        context.update(_tree_context(framework))
    return render(request, "frameworks/_editor_panel.html", context)


def _preview_context(node: Node | None) -> dict:
    if node is None or not node.rule:
        return {}
    try:
        spec = rules.input_spec(node.rule)
    except rules.RuleError:
        return {}
    return {"spec": spec}


def _editor_error(request, framework, exc: ValidationError):
    """Errors go to the message area above the tree (htmx does not swap 4xx answers, so this is a 200)."""
    response = render(
        request, "frameworks/_editor_message.html", {"framework": framework, "errors": _validation_messages(exc)}
    )
    response["HX-Retarget"] = "#fw-messages"
    response["HX-Reswap"] = "innerHTML"
    return response


@login_required
@require_GET
def framework_editor(request, pk):
    framework = access.require_framework_manage(request.user, pk)
    if framework.status != FrameworkStatus.DRAFT:
        messages.info(
            request, _("Bộ chỉ số này không còn là dự thảo nên không sửa được; hãy nhân bản để tạo phiên bản mới.")
        )
        return redirect("frameworks:detail", pk=framework.pk)
    context = _tree_context(framework)
    context.update(
        {
            "meta_form": FrameworkForm(
                initial={
                    "name": framework.name,
                    "description": framework.description,
                    "year_from": framework.year_from,
                    "year_to": framework.year_to,
                    "decision": framework.decision,
                    "declared_total": _short(framework.declared_total),
                    "unit_kinds": framework.unit_kinds,
                },
                prefix="meta",
            ),
            "new_form": NewNodeForm(prefix="new"),
            "nav_active": NAV,
        }
    )
    return render(request, "frameworks/editor.html", context)


@login_required
@require_GET
def editor_tree(request, pk):
    framework = access.require_framework_manage(request.user, pk)
    return render(request, "frameworks/_editor_tree.html", _tree_context(framework))


@login_required
def editor_node(request, pk, node_id):
    node = access.require_node_manage(request.user, pk, node_id)
    framework = node.framework
    if request.method == "GET":
        return _render_panel(request, framework, node, _node_form(framework, node))
    try:
        framework = _editable(request, pk)
    except ValidationError as exc:
        return _editor_error(request, framework, exc)
    form = _node_form(framework, node, request.POST)
    if not form.is_valid():
        return _render_panel(request, framework, node, form)
    values = dict(form.cleaned_data)
    parent_id = values.pop("parent")
    try:
        node = services.node_update(node=node, actor=request.user, **values)
        if parent_id != node.parent_id:
            parent = Node.objects.get(pk=parent_id, framework=framework) if parent_id else None
            node = services.node_move(node=node, actor=request.user, parent=parent)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        return _render_panel(request, framework, node, form)
    node.refresh_from_db()
    return _render_panel(request, framework, node, _node_form(framework, node), saved=True, with_tree=True)


@login_required
@require_POST
def editor_add(request, pk):
    try:
        framework = _editable(request, pk)
    except ValidationError as exc:
        return _editor_error(request, access.require_framework_manage(request.user, pk), exc)
    form = NewNodeForm(request.POST, prefix="new")
    if not form.is_valid():
        return _editor_error(request, framework, ValidationError(_("Hãy nhập mã và tên của tiêu chí mới.")))
    parent = None
    if form.cleaned_data["parent"]:
        parent = Node.objects.filter(pk=form.cleaned_data["parent"], framework=framework).first()
        if parent is None:
            raise Http404(_("Không tìm thấy tiêu chí."))
    try:
        node = services.node_create(
            framework=framework,
            parent=parent,
            actor=request.user,
            code=form.cleaned_data["code"],
            name=form.cleaned_data["name"],
            max_points=Decimal(0),
        )
    except ValidationError as exc:
        return _editor_error(request, framework, exc)
    return _render_panel(request, framework, node, _node_form(framework, node), saved=True, with_tree=True)


@login_required
@require_POST
def editor_move(request, pk, node_id):
    node = access.require_node_manage(request.user, pk, node_id)
    try:
        framework = _editable(request, pk)
        siblings = list(Node.objects.filter(framework=framework, parent_id=node.parent_id).order_by("order", "id"))
        index = [s.pk for s in siblings].index(node.pk)
        step = -1 if request.POST.get("direction") == "up" else 1
        services.node_move(node=node, actor=request.user, parent=node.parent, position=max(0, index + step))
    except ValidationError as exc:
        return _editor_error(request, node.framework, exc)
    return render(request, "frameworks/_editor_tree.html", _tree_context(framework))


@login_required
@require_POST
def editor_remove(request, pk, node_id):
    node = access.require_node_manage(request.user, pk, node_id)
    try:
        framework = _editable(request, pk)
        services.node_remove(node=node, actor=request.user)
    except ValidationError as exc:
        return _editor_error(request, node.framework, exc)
    context = _tree_context(framework)
    context["cleared"] = True
    return render(request, "frameworks/_editor_tree.html", context)


@login_required
@require_POST
def editor_meta(request, pk):
    framework = access.require_framework_manage(request.user, pk)
    form = FrameworkForm(request.POST, prefix="meta")
    if not form.is_valid():
        errors = [f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items() if f in form.fields]
        return _editor_error(request, framework, ValidationError(errors or [_("Thông tin không hợp lệ.")]))
    try:
        framework = _editable(request, pk)
        services.framework_update(framework=framework, actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        return _editor_error(request, framework, exc)
    context = _tree_context(framework)
    context["meta_saved"] = True
    return render(request, "frameworks/_editor_tree.html", context)


@login_required
@require_POST
def editor_preview(request, pk):
    """Score a sample input with the rule as written in the form (saved or not): points and explanation."""
    framework = access.require_framework_read(request.user, pk)
    post = request.POST
    data = {
        "rule": post.get("node-rule", post.get("rule", "")),
        "max_points": post.get("node-max_points", post.get("max_points", "")),
        "min_points": post.get("node-min_points", post.get("min_points", "")),
        "sample": post.get("sample", ""),
        "level": post.get("level", ""),
        "year": post.get("year", ""),
    }
    form = PreviewForm(data)
    context = {"framework": framework}
    if not form.is_valid():
        context["error"] = _("Điểm tối đa và giá trị thử phải là số.")
        return render(request, "frameworks/_preview.html", context)
    try:
        rule = rule_from_text(form.cleaned_data["rule"])
    except ValidationError as exc:
        context["error"] = " ".join(exc.messages)
        return render(request, "frameworks/_preview.html", context)
    if rule is None:
        context["error"] = _("Chưa có quy tắc để chấm thử.")
        return render(request, "frameworks/_preview.html", context)
    max_points = form.cleaned_data["max_points"]
    min_points = form.cleaned_data["min_points"] or Decimal(0)
    context["problems"] = rules.rule_problems(rule, max_points=max_points, min_points=min_points)
    context["describe"] = rules.describe(rule, max_points=max_points, min_points=min_points)
    sample = form.cleaned_data["sample"].strip()
    if sample:
        ctx = {}
        if form.cleaned_data["level"]:
            ctx["level"] = form.cleaned_data["level"]
        ctx["year"] = form.cleaned_data["year"] or framework.year_from or 2024
        try:
            context["result"] = rules.evaluate(rule, sample, max_points=max_points, min_points=min_points, context=ctx)
        except (rules.InputError, rules.RuleError, ArithmeticError) as exc:
            context["error"] = str(exc)
    return render(request, "frameworks/_preview.html", context)
