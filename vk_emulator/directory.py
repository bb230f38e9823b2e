"""VK's users.*, utils.*, groups.* methods and the docs/photos upload methods."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from vk_emulator.base import CoreBase, PendingUpload
from vk_emulator.errors import param_error
from vk_emulator.state import SCOPE_BITS, Photo, User


class DirectoryMixin(CoreBase):
    """Who is who (users, screen names, the community) and file uploads."""

    def m_users_get(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        fields = [str(f) for f in params.get("fields") or []]
        result = []
        seen: set[int] = set()
        for ref in params.get("user_ids") or []:
            user = self._user_by_ref(ref)
            if user is not None and user.id not in seen:
                seen.add(user.id)
                result.append(self._user_object(user, fields))
        return result

    def _user_by_ref(self, ref: Any) -> User | None:
        if isinstance(ref, int):
            return self.users.get(ref)
        text = str(ref)
        if text.isdigit():
            return self.users.get(int(text))
        for user in self.users.values():
            if user.screen_name == text or f"id{user.id}" == text:
                return user
        return None

    def m_utils_resolve(self, params: dict[str, Any]) -> Any:
        name = str(self._require(params, "screen_name")).strip().lstrip("@")
        if name.startswith("id") and name[2:].isdigit() and int(name[2:]) in self.users:
            return {"type": "user", "object_id": int(name[2:])}
        for user in self.users.values():
            if user.screen_name and user.screen_name == name:
                return {"type": "user", "object_id": user.id}
        group_names = {f"club{self.group_id}", f"public{self.group_id}"}
        if self.community.screen_name:
            group_names.add(self.community.screen_name)
        if name in group_names:
            return {"type": "group", "object_id": self.group_id}
        return []

    def m_groups_get_by_id(self, params: dict[str, Any]) -> dict[str, Any]:
        refs: list[Any] = list(params.get("group_ids") or [])
        if "group_id" in params:
            refs.append(params["group_id"])
        own = {str(self.group_id), f"club{self.group_id}", f"public{self.group_id}"}
        if self.community.screen_name:
            own.add(self.community.screen_name)
        for ref in refs:
            if str(ref) not in own:
                raise param_error("group_ids is invalid")
        return {"groups": [self._group_object()], "profiles": []}

    def m_groups_get_long_poll_server(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "group_id")
        self._check_group(params)
        if not self.community.long_poll:
            raise param_error("Long Poll is disabled for this community")
        key = secrets.token_hex(20)
        self.lp_keys.add(key)
        return {"key": key, "server": f"{self.base_url}/lp", "ts": str(self.lp_ts)}

    def m_groups_get_long_poll_settings(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "group_id")
        self._check_group(params)
        names = self.schema.docs["groups/objects.json"]["definitions"]["groups_long_poll_events"][
            "properties"
        ]
        enabled = set(self.community.events)
        events = {name: int(name in enabled) for name in names}
        events["message_event"] = int("message_event" in enabled)
        return {
            "is_enabled": self.community.long_poll,
            "api_version": self.community.api_version,
            "events": events,
        }

    def m_groups_get_token_permissions(self, params: dict[str, Any]) -> dict[str, Any]:
        scopes = [s for s in self.community.token_scopes if s in SCOPE_BITS]
        return {
            "mask": sum(SCOPE_BITS[s] for s in scopes),
            "permissions": [{"name": s, "setting": SCOPE_BITS[s]} for s in scopes],
        }

    # -- uploads ------------------------------------------------------------------------------

    def _upload_peer_check(self, params: dict[str, Any]) -> int | None:
        peer_id = params.get("peer_id")
        if peer_id is None:
            return None
        self._check_reachable(int(peer_id), None)
        return int(peer_id)

    def _new_upload_url(self, kind: str, peer_id: int | None) -> str:
        token = secrets.token_hex(8)
        peer = "" if peer_id is None else str(peer_id)
        return f"{self.base_url}/upload/{kind}?gid={self.group_id}&peer_id={peer}&t={token}"

    def m_docs_upload_server(self, params: dict[str, Any]) -> dict[str, Any]:
        kind = str(params.get("type", "doc"))
        if kind not in ("doc", "audio_message", "graffiti"):
            raise param_error("type is invalid")
        peer_id = self._upload_peer_check(params)
        return {"upload_url": self._new_upload_url("doc", peer_id)}

    def m_photos_upload_server(self, params: dict[str, Any]) -> dict[str, Any]:
        self._upload_peer_check(params)
        return {
            "upload_url": self._new_upload_url("photo", params.get("peer_id")),
            "album_id": -3,
            "user_id": 0,
            "group_id": self.group_id,
        }

    def accept_upload(self, kind: str, filename: str, data: bytes, peer_id: int | None) -> str:
        """Store an uploaded file; return the opaque upload token."""
        token = f"{secrets.token_hex(10)}"
        self.uploads[token] = PendingUpload(kind, filename, data, peer_id)
        return token

    def m_docs_save(self, params: dict[str, Any]) -> dict[str, Any]:
        token = str(self._require(params, "file"))
        upload = self.uploads.get(token.split("|", 1)[0])
        if upload is None or upload.kind != "doc":
            raise param_error("file is invalid")
        del self.uploads[token.split("|", 1)[0]]
        title = str(params.get("title") or upload.filename)
        doc = self.store_doc(-self.group_id, upload.filename, upload.data, title)
        return {"type": "doc", "doc": doc.as_vk()}

    def m_photos_save(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        raw = str(self._require(params, "photo"))
        try:
            token = json.loads(raw)[0]["upload"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise param_error("photo is invalid") from exc
        upload = self.uploads.get(str(token))
        if upload is None or upload.kind != "photo":
            raise param_error("photo is invalid")
        if params.get("hash") != _photo_hash(str(token)):
            raise param_error("hash is invalid")
        del self.uploads[str(token)]
        photo_id = self._next_file_id()
        owner_id = -self.group_id
        photo = Photo(
            id=photo_id,
            owner_id=owner_id,
            album_id=-3,
            data=upload.data,
            date=self.now(),
            url=f"{self.base_url}/photo/{owner_id}_{photo_id}.jpg",
            access_key=secrets.token_hex(8),
        )
        self.photos[(owner_id, photo_id)] = photo
        return [photo.as_vk()]

    def photo_upload_answer(self, token: str) -> dict[str, Any]:
        return {
            "server": 1,
            "photo": json.dumps([{"upload": token}]),
            "hash": _photo_hash(token),
        }


def _photo_hash(token: str) -> str:
    # Derived from the token so that saveMessagesPhoto can check it without extra state.
    return hashlib.sha256(f"photo:{token}".encode()).hexdigest()[:20]
