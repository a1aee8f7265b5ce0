"""What the emulated apiserver does with each verb, minus HTTP: validation, defaults, preconditions, errors.

Handlers in :mod:`kpy.testing.server` parse requests and call these; errors are :class:`StatusError` with the
upstream Status body. Objects live in :class:`kpy.testing.store.Store` (core/v1 shape for events; the
events.k8s.io/v1 view is converted on the way in and out).
"""

from __future__ import annotations

import copy
import dataclasses
import random
import uuid
from collections.abc import Callable
from typing import Any

from kpy.testing import applyprune, eventsconv, lastapplied, managedfields, podspec, status
from kpy.testing.conversion import body_without, from_api, is_events_v1, storage_gr, to_api, tracks_generation
from kpy.testing.defaults import (
    prepare_after_fields,
    prepare_create,
    prepare_update_after_fields,
    prepare_update_for_fields,
)
from kpy.testing.listing import list_objects
from kpy.testing.patch import PatchError, json_patch, merge_patch, strategic_merge_patch
from kpy.testing.resources import ResourceRegistry, ResourceType
from kpy.testing.status import StatusError
from kpy.testing.store import GroupResource, Key, Obj, Store
from kpy.testing.validation import check_body, namespace_of, set_crd_status, validate_name

#: namespaces every cluster has
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
#: types whose strategy allows PUT to create a missing object (AllowCreateOnUpdate)
CREATE_ON_UPDATE = {
    ("", "endpoints"),
    ("", "events"),
    ("events.k8s.io", "events"),
    ("coordination.k8s.io", "leases"),
}
#: types whose registry answers DELETE with the object (graceful/finalizer deletion) instead of a Status
RETURNS_DELETED = {("", "pods"), ("", "namespaces")}
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


#: metadata only a delete sets; writes keep the stored values
_SET_BY_DELETE = ("deletionTimestamp", "deletionGracePeriodSeconds")


class Api:
    """The verbs over a registry and a store."""

    def __init__(self, registry: ResourceRegistry, store: Store) -> None:
        self.registry = registry
        self.store = store
        self.on_delete: list[Callable[[ResourceType, Obj], None]] = []
        self.random = random.Random()

    # ------------------------------------------------------------------------------------------- reads
    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        stored = self.store.get(storage_gr(rt), namespace, name)
        if stored is None:
            raise status.not_found(rt.resource, rt.group, name)
        return to_api(rt, stored)

    def list(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_token: str = "",
        resource_version: str = "",
        resource_version_match: str = "",
    ) -> Obj:
        """A list (``namespace`` None: all namespaces); see :func:`kpy.testing.listing.list_objects`."""
        return list_objects(
            self.store,
            rt,
            namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            limit=limit,
            continue_token=continue_token,
            resource_version=resource_version,
            resource_version_match=resource_version_match,
        )

    # ------------------------------------------------------------------------------------------ writes
    def _check_namespace(self, rt: ResourceType, namespace: str) -> None:
        if rt.namespaced and not self.store.exists(("", "namespaces"), "", namespace):
            raise status.not_found("namespaces", "", namespace)

    def create(
        self,
        rt: ResourceType,
        namespace: str,
        body: Any,
        *,
        dry_run: bool = False,
        keep_identity: bool = False,
    ) -> Obj:
        obj = copy.deepcopy(check_body(rt, body))
        namespace_of(rt, obj, namespace)
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = str(meta["generateName"]) + "".join(
                self.random.choice(_GENERATE_ALPHABET) for _ in range(5)
            )
        name = str(meta.get("name") or "")
        validate_name(rt, name)
        self._check_namespace(rt, namespace)
        gr = storage_gr(rt)
        if self.store.exists(gr, namespace if rt.namespaced else "", name):
            raise status.already_exists(rt.resource, rt.group, name)
        for key in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "selfLink"):
            if not (keep_identity and key in ("uid", "creationTimestamp")):
                meta.pop(key, None)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        given_uid = keep_identity and bool(meta.get("uid"))
        had_labels = bool(meta.get("labels"))
        if (rt.group, rt.resource) == ("batch", "jobs") and not given_uid:
            meta["uid"] = str(uuid.uuid4())  # a Job's generated selector names its uid: known before storage
            given_uid = True
        prepare_create(rt, obj, self.store.now())
        if tracks_generation(rt):
            meta["generation"] = 1
        if (rt.group, rt.resource) == ("apiextensions.k8s.io", "customresourcedefinitions"):
            set_crd_status(obj, status_time(self.store))
        managedfields.record(
            rt.kind,
            rt.api_version,
            None,
            obj,
            subresource="",
            has_status="status" in rt.subresources,
            now=status_time(self.store),
        )
        prepare_after_fields(rt, obj, had_labels)
        if not rt.crd_name and (causes := podspec.object_errors(rt.group, rt.resource, obj)):
            raise status.invalid(rt.resource, rt.group, rt.kind, name, causes)
        stored = from_api(rt, obj)
        if is_events_v1(rt) and (errors := eventsconv.create_v1_errors(stored)):
            raise status.invalid(rt.resource, "", rt.kind, name, errors)  # the real server names no group
        if dry_run:  # what a create would answer, minus the resourceVersion storage gives
            dry_meta = stored.setdefault("metadata", {})
            dry_meta.setdefault("uid", str(uuid.uuid4()))
            dry_meta.setdefault("creationTimestamp", status_time(self.store))
            return to_api(rt, stored)
        result = self.store.create(gr, stored, keep_identity=keep_identity or given_uid)
        if (rt.group, rt.resource) == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self.registry.add_crd(result)
        return to_api(rt, result)

    def update(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        subresource: str = "",
        dry_run: bool = False,
    ) -> tuple[Obj, bool]:
        """PUT. Returns (object, created)."""
        obj = copy.deepcopy(check_body(rt, body))
        namespace_of(rt, obj, namespace)
        meta = obj["metadata"]
        body_name = meta.get("name")
        if body_name != name:
            if not body_name:
                meta["name"] = name
            else:
                raise status.bad_request(
                    f"the name of the object ({body_name}) does not match the name on the URL ({name})"
                )
        gr = storage_gr(rt)
        ns = namespace if rt.namespaced else ""
        current = self.store.get(gr, ns, name)
        if current is None:
            if (rt.group, rt.resource) in CREATE_ON_UPDATE and not subresource:
                if meta.get("resourceVersion"):
                    raise status.not_found(rt.resource, rt.group, name)
                return self.create(rt, namespace, obj, dry_run=dry_run), True
            raise status.not_found(rt.resource, rt.group, name)
        return self._write(rt, to_api(rt, current), obj, subresource=subresource, dry_run=dry_run), False

    def _write(self, rt: ResourceType, current: Obj, new: Obj, *, subresource: str, dry_run: bool) -> Obj:
        """The shared tail of PUT and PATCH: preconditions, subresource rules, generation, no-op detection."""
        cur_meta, meta = current["metadata"], new.setdefault("metadata", {})
        name = str(cur_meta["name"])
        rv = meta.get("resourceVersion")
        if rv and rv != cur_meta.get("resourceVersion"):
            raise status.conflict(rt.resource, rt.group, name)
        if meta.get("uid") and meta["uid"] != cur_meta.get("uid"):
            raise status.conflict(
                rt.resource,
                rt.group,
                name,
                f"Precondition failed: UID in precondition: {meta['uid']}, UID in object meta: "
                f"{cur_meta.get('uid')}",
            )
        has_status = "status" in rt.subresources
        if subresource == "status":
            merged = copy.deepcopy(current)
            if "status" in new:
                merged["status"] = copy.deepcopy(new["status"])
            else:
                merged.pop("status", None)
            new = merged
        else:
            if has_status:
                if "status" in current:
                    new["status"] = copy.deepcopy(current["status"])
                else:
                    new.pop("status", None)
            for key in ("uid", "creationTimestamp", "namespace", "generation", *_SET_BY_DELETE):
                if key in cur_meta:
                    meta[key] = cur_meta[key]
                else:
                    meta.pop(key, None)
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        new["metadata"]["resourceVersion"] = cur_meta.get("resourceVersion")
        if (rt.group, rt.resource) == (
            "apiextensions.k8s.io",
            "customresourcedefinitions",
        ) and not subresource:
            set_crd_status(new, status_time(self.store))
            new["status"]["conditions"] = (current.get("status") or {}).get(
                "conditions", new["status"]["conditions"]
            )
        if not subresource:
            prepare_update_for_fields(rt, new)
        if tracks_generation(rt) and subresource != "status":
            skip = ("metadata", "status", "apiVersion", "kind")
            if body_without(new, *skip) != body_without(current, *skip):
                new["metadata"]["generation"] = int(cur_meta.get("generation") or 0) + 1
        for key in ("labels", "annotations"):  # Go's omitempty: an emptied map is no longer there
            if new["metadata"].get(key) == {} and not rt.crd_name:
                del new["metadata"][key]
        managedfields.record(
            rt.kind,
            rt.api_version,
            current,
            new,
            subresource=subresource,
            has_status="status" in rt.subresources,
            now=status_time(self.store),
        )
        if not subresource:
            prepare_update_after_fields(rt, current, new)
        changed = subresource == "" and not rt.crd_name and new != current
        if changed and (causes := podspec.object_errors(rt.group, rt.resource, new)):
            raise status.invalid(rt.resource, rt.group, rt.kind, name, causes)
        if new == current or dry_run:
            return new if dry_run else current  # nothing changed: no write, same resourceVersion
        if cur_meta.get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            # the last finalizer is gone: the write deletes the object (one DELETED event, as the real store)
            ns = str(cur_meta.get("namespace") or "") if rt.namespaced else ""
            return to_api(rt, self._delete_stored(rt, storage_gr(rt), ns, name))
        stored = self.store.update(storage_gr(rt), from_api(rt, new))
        if (rt.group, rt.resource) == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self.registry.add_crd(stored)
        return to_api(rt, stored)

    def patch(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        patch_type: str,
        body: Any,
        *,
        subresource: str = "",
        dry_run: bool = False,
        force: bool = False,
    ) -> tuple[Obj, bool]:
        """PATCH with one of the four patch types. Returns (object, created) (apply may create)."""
        gr = storage_gr(rt)
        ns = namespace if rt.namespaced else ""
        stored = self.store.get(gr, ns, name)
        if stored is None:
            if patch_type == "apply":
                if not isinstance(body, dict):
                    raise status.bad_request("error decoding YAML: expected an object")
                obj = copy.deepcopy(body)
                obj.setdefault("metadata", {}).setdefault("name", name)
                if obj["metadata"]["name"] != name:
                    raise status.bad_request(
                        f"the name of the object ({obj['metadata']['name']}) does not match the name on the URL "
                        f"({name})"
                    )
                return self.create(rt, namespace, obj, dry_run=dry_run), True
            raise status.not_found(rt.resource, rt.group, name)
        current = to_api(rt, stored)
        try:
            if patch_type == "json":
                patched = json_patch(current, body)
            elif patch_type == "merge":
                if not isinstance(body, dict):
                    raise PatchError("json: cannot unmarshal into Go value of type map[string]interface {}")
                patched = merge_patch(current, body)
            elif patch_type == "strategic":
                if not isinstance(body, dict):
                    raise PatchError("json: cannot unmarshal into Go value of type map[string]interface {}")
                if rt.crd_name:
                    raise StatusError(
                        415,
                        status.status_body(
                            415,
                            "UnsupportedMediaType",
                            "the body of the request was in an unknown format - accepted media types include: "
                            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
                        ),
                    )
                patched = strategic_merge_patch(current, body)
            elif patch_type == "apply":
                if not isinstance(body, dict):
                    raise PatchError("expected an object")
                patched = merge_patch(current, _without_nulls(body))
                ctx = managedfields.CURRENT.get()
                if ctx is not None and ctx.operation == "Apply":
                    applyprune.prune(current, patched, body, ctx.manager)
                _from_client_side_apply(current, patched, body)
            else:
                raise status.unsupported_media_type("")
        except PatchError as exc:
            if patch_type == "json":  # the handler's NewGenericServerResponse: the reason is not passed on
                generic = "the server rejected our request due to an error in our request"
                raise StatusError(422, status.status_body(422, "Invalid", generic, {})) from None
            raise StatusError(422, status.status_body(422, "Invalid", str(exc))) from None
        if not isinstance(patched, dict):
            raise status.bad_request("the patched object is not a JSON object")
        meta = patched.setdefault("metadata", {})
        if meta.get("name") != name:
            raise status.bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        patch_rv = None
        if isinstance(body, dict):
            patch_rv = (body.get("metadata") or {}).get("resourceVersion")
        if not patch_rv:
            meta["resourceVersion"] = current["metadata"].get("resourceVersion")
        if rt.namespaced:
            meta["namespace"] = namespace
        return self._write(rt, current, patched, subresource=subresource, dry_run=dry_run), False

    def delete(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        options: Obj | None = None,
        *,
        dry_run: bool = False,
    ) -> Obj:
        gr = storage_gr(rt)
        ns = namespace if rt.namespaced else ""
        stored = self.store.get(gr, ns, name)
        if stored is None:
            raise status.not_found(rt.resource, rt.group, name)
        pre = (options or {}).get("preconditions") or {}
        meta = stored["metadata"]
        if pre.get("uid") and pre["uid"] != meta.get("uid"):
            raise status.conflict(
                rt.resource,
                rt.group,
                name,
                f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: "
                f"{meta.get('uid')}",
            )
        if pre.get("resourceVersion") and pre["resourceVersion"] != meta.get("resourceVersion"):
            raise status.conflict(
                rt.resource,
                rt.group,
                name,
                f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
                f"ResourceVersion in object meta: {meta.get('resourceVersion')}",
            )
        if dry_run:
            return self._delete_response(rt, to_api(rt, stored))
        if meta.get("finalizers"):  # it stays, Terminating, until a write removes its last finalizer
            if not meta.get("deletionTimestamp"):
                meta["deletionTimestamp"] = status_time(self.store)
                meta["deletionGracePeriodSeconds"] = 0
                stored = self.store.update(gr, stored)
            return to_api(rt, stored)
        deleted = self._delete_stored(rt, gr, ns, name)
        return self._delete_response(rt, deleted)

    def _delete_response(self, rt: ResourceType, obj: Obj) -> Obj:
        if (rt.group, rt.resource) in RETURNS_DELETED:
            meta = obj["metadata"]
            meta.setdefault("deletionTimestamp", status_time(self.store))
            if (rt.group, rt.resource) == ("", "pods"):
                grace = (obj.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
                meta.setdefault("deletionGracePeriodSeconds", grace)
            else:
                obj.setdefault("status", {})["phase"] = "Terminating"
            return obj
        meta = obj["metadata"]
        return status.success_delete(rt.resource, rt.group, str(meta["name"]), str(meta.get("uid", "")))

    def _delete_stored(self, rt: ResourceType, gr: GroupResource, ns: str, name: str) -> Obj:
        if (rt.group, rt.resource) == ("", "namespaces"):
            for other in self.store.group_resources():
                if other == ("", "namespaces"):
                    continue
                for key, _ in list(self.store.items(other, name)):
                    self._delete_any(other, key)
        if (rt.group, rt.resource) == ("apiextensions.k8s.io", "customresourcedefinitions"):
            crd = self.store.get(gr, ns, name) or {}
            spec = crd.get("spec") or {}
            crgr = (str(spec.get("group", "")), str((spec.get("names") or {}).get("plural", "")))
            for key, _ in list(self.store.items(crgr)):
                self.store.delete(crgr, *key)
            self.registry.remove_crd(name)
        deleted = self.store.delete(gr, ns, name)
        view = to_api(rt, deleted)
        for hook in list(self.on_delete):
            hook(rt, view)
        return view

    def _delete_any(self, gr: GroupResource, key: Key) -> None:
        rt = next((t for t in self.registry.all() if storage_gr(t) == gr and not is_events_v1(t)), None)
        if rt is None:
            self.store.delete(gr, *key)
            return
        self._delete_stored(rt, gr, *key)

    def delete_collection(
        self,
        rt: ResourceType,
        namespace: str | None,
        *,
        label_selector: str = "",
        field_selector: str = "",
        dry_run: bool = False,
    ) -> Obj:
        listed = self.list(rt, namespace, label_selector=label_selector, field_selector=field_selector)
        gr = storage_gr(rt)
        deleted = []
        for item in listed["items"]:
            meta = item["metadata"]
            ns = str(meta.get("namespace", "")) if rt.namespaced else ""
            if dry_run:
                deleted.append(item)
            else:
                obj = self._delete_stored(rt, gr, ns, str(meta["name"]))
                if not rt.crd_name:
                    obj.pop("apiVersion", None)
                    obj.pop("kind", None)
                deleted.append(obj)
        return {
            "kind": rt.list_kind,
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": str(self.store.rv)},
            "items": deleted,
        }

    def ensure_namespace(self, name: str) -> None:
        rt = self.registry.find("", "v1", "namespaces")
        assert rt is not None
        if not self.store.exists(("", "namespaces"), "", name):
            self.create(rt, "", {"metadata": {"name": name}})


def _from_client_side_apply(current: Obj, patched: Obj, applied: Obj) -> None:
    """An apply by ``kubectl`` takes over what client-side apply recorded (:mod:`kpy.testing.lastapplied`)."""
    ctx = managedfields.CURRENT.get()
    if ctx is None or ctx.operation != "Apply" or ctx.manager != "kubectl":
        return
    allowed = frozenset() if ctx.force else lastapplied.allowed_conflicts(current)
    owner = lastapplied.PATH if lastapplied.rewrite(current, patched, applied) else None
    managedfields.CURRENT.set(dataclasses.replace(ctx, allowed=allowed, untracked=owner))


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if k not in ("managedFields",)}
    return value


def status_time(store: Store) -> str:
    from kpy.gocompat.metav1 import format_time

    return format_time(store.now())
