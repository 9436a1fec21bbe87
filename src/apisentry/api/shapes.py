"""Calls summed by shape while traffic streams in. A shape is a path with its bare identifiers
replaced by stand-ins (`canonical_path`), so ids never grow memory; plain names (usernames, slugs,
repository names) have no stand-in, so past `CONSOLIDATE_AT` shapes the ones held are templated as
the inventory does at the end and summed into their templates' shapes. After that, a new name that
fits a template waits as its calls for the next consolidation (`_pending`)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

from apisentry.api.templating import Templater

if TYPE_CHECKING:
    from apisentry.api.inventory import Endpoint
    from apisentry.api.traffic import Observation

# Concrete paths kept per shape for the templater to learn from; the rest of a shape's calls are
# summed under its stand-in path (see `canonical_path`).
SAMPLE_PATHS = 32
# Shapes held before those that fit a template are summed into it, or, when few fit, all are
# templated again.
CONSOLIDATE_AT = 20_000
# A path that fits a template goes into it only if it had at most this many times the calls of
# the template's average value: a name with a handful of calls beside usernames is one more
# username; one with hundreds is perhaps a route the first templating did not see.
BUSY = 2
# Templates that many shapes went into take more: a parameter judged from a few values (`/reports/
# daily`, `/reports/weekly`) on part of the traffic may yet prove to be routes.
MANY_VALUES = 8

# Hosts templated as APIs of their own. Past that many, the hosts with the fewest calls so far are
# folded into one: a scanner that sends a new Host header with every call (an ingress logs each)
# made 100k APIs of one call each, 1.2 GB and a minute for 200k lines.
MAX_HOSTS = 1000
OTHER_HOSTS = "(other hosts)"

ShapeKey = tuple[str | None, str, str, str | None]  # host, method, path (stand-ins or template), gateway route

_WHOLE_PARAM = re.compile(r"^\{[^{}/]*\}$")


class ShapeTable:
    """The shapes of the calls seen so far, with up to `SAMPLE_PATHS` concrete paths each."""

    def __init__(self, known: list[str], new: Callable[[str, str, str | None], Endpoint]) -> None:
        self.shapes: dict[ShapeKey, Endpoint] = {}
        self.samples: dict[ShapeKey, dict[str, int]] = {}
        self._known = known  # the specs' routes, which the templater keeps
        self._new = new
        self._values: dict[ShapeKey, int] = {}  # template shape -> the shapes summed into it
        self._routes: _Routes | None = None
        self._limit = CONSOLIDATE_AT
        self._templated = 0  # shapes left by the last templating
        self._hosts: set[str | None] = set()
        # New names that fit a template, held as their calls until the next consolidation decides
        # whether each goes into the template (most do) or is a shape of its own (`_sum_fitting`):
        # an endpoint made for each only to be summed away cost a third of building a log with a
        # new name in every path.
        self._pending: dict[ShapeKey, list[Observation]] = {}

    def add(self, key: ShapeKey, o: Observation) -> None:
        """Sums one observation into its shape, and keeps its concrete paths among the samples."""
        # Only calls without bodies are held: a body is read into its endpoint at once, never kept.
        light = o.body is None and o.response is None
        held = self._pending.get(key)
        if held is not None:
            if light:
                held.append(o)
                return
            self._own_shape(key, self._pending.pop(key))
        key, shape = self._shape(key, light)
        if shape is None:
            self._pending[key] = [o]
        else:
            self._add_all(key, shape, [o])

    def _shape(self, key: ShapeKey, light: bool = False) -> tuple[ShapeKey, Endpoint | None]:
        """The shape a call goes to, and its key: another host's when its own was folded. None for
        a new name that fits a template, called without a body: it is held until the next
        consolidation."""
        found = self.shapes.get(key)
        if found is not None:
            return key, found
        if len(self.shapes) + len(self._pending) >= self._limit:
            self._settle()
            if (found := self.shapes.get(key)) is not None:  # a path written as a template may be one now
                return key, found
        if key[0] not in self._hosts:
            self._hosts.add(key[0])
            if len(self._hosts) > MAX_HOSTS:
                self._fold_hosts()
                if key[0] not in self._hosts:
                    key = (OTHER_HOSTS, *key[1:])
                    if (found := self.shapes.get(key)) is not None:
                        return key, found
        if light and self._routes is not None and key[3] is None and "{" not in key[2] \
                and (fits := self._routes.route(key[0], key[1], key[2])) is not None and fits != key[2]:
            return key, None
        return key, self._new_shape(key)

    def _fold_hosts(self) -> None:
        """Folds all but the busiest half of the hosts into `OTHER_HOSTS`; a host that comes back
        starts again from nothing, and is folded again unless it gets busy."""
        calls: dict[str | None, int] = defaultdict(int)
        for key, shape in self.shapes.items():
            calls[key[0]] += shape.calls
        keep = {None, OTHER_HOSTS} | {h for h, _ in sorted(((h, n) for h, n in calls.items() if h), key=lambda hn: -hn[1])
                                         [:MAX_HOSTS // 2]}
        for key in [k for k in self.shapes if k[0] not in keep]:
            self._sum(key, (OTHER_HOSTS, *key[1:]), values=False)
        self._hosts = {h for h in self._hosts if h in keep}

    def finish(self) -> None:
        """Sums the shapes that came after the last templating and fit a template into it, so the
        last templater weighs them with their template, not as words of their own."""
        if self._routes is not None:
            self._sum_fitting()

    def templaters(self, api_of: Callable[[ShapeKey], str | None]) -> dict[str | None, Templater]:
        """One templater per API (`api_of` a shape's key) over the shapes' sampled paths. Gateway
        routes are endpoints already."""
        paths: dict[str | None, list[str]] = defaultdict(list)
        counts: dict[str | None, list[int]] = defaultdict(list)
        for key in self.shapes:
            if key[3] is None:
                api = api_of(key)
                self._weighed(key, paths[api], counts[api])
        return {api: Templater(paths[api], self._known, counts[api]) for api in paths}

    def template(self, key: ShapeKey, templ: Templater) -> str:
        """A shape's template: its first path's (every path of a shape has the same), with the
        parameters the shape already has from a mid-stream templating. That judgement saw all of
        the parameter's values, where `templ` sees only the shape's samples, and a word there
        would put every call of the shape under it."""
        template = templ.template(next(iter(self.samples[key])))
        if "{" not in key[2]:
            return template
        had, now = key[2].split("/"), template.split("/")
        if len(had) != len(now):
            return template
        return "/".join(h if _WHOLE_PARAM.match(h) and not _WHOLE_PARAM.match(n) else n
                        for h, n in zip(had, now, strict=True))

    def _weighed(self, key: ShapeKey, paths: list[str], counts: list[int]) -> None:
        """Adds a shape's sampled paths, weighed by their calls, for the templater. The calls no
        sample carries go to the stand-in path, which reads as one more id. A template shape adds
        only its samples: the template read as a path would be one busy name beside many rare
        ones, a route, and its calls spread over the samples would make each name look busy."""
        seen = self.samples[key]
        paths += seen
        counts += seen.values()
        if (rest := self.shapes[key].records - sum(seen.values())) <= 0:
            return
        if "{" not in key[2]:
            paths.append(key[2])
            counts.append(rest)

    def _settle(self) -> None:
        if self._routes is not None:
            self._sum_fitting()
        if self._routes is None or len(self.shapes) - self._templated > CONSOLIDATE_AT // 2:
            self._template()
            self._routes = _Routes(self.shapes)
            self._templated = len(self.shapes)
        self._limit = len(self.shapes) + CONSOLIDATE_AT

    def _sum_fitting(self) -> None:
        """Sums each concrete shape that fits a template and is no busier than its values into it;
        then the held names the same way, each in the order it came."""
        assert self._routes is not None
        for key in [k for k in self.shapes if k[3] is None and "{" not in k[2]]:
            fits = self._routes.route(key[0], key[1], key[2])
            if fits is None or fits == key[2]:
                continue
            target = (key[0], key[1], fits, None)
            values = self._values.get(target, 0)
            if values >= MANY_VALUES and self.shapes[key].calls * values <= BUSY * self.shapes[target].calls:
                self._sum(key, target)
        pending, self._pending = self._pending, {}
        for key, held in pending.items():
            fits = self._routes.route(key[0], key[1], key[2])
            dest: ShapeKey = (key[0], key[1], fits or key[2], None)
            into, values = self.shapes.get(dest), self._values.get(dest, 0)
            if into is None or values < MANY_VALUES or sum(o.count for o in held) * values > BUSY * into.calls:
                self._own_shape(key, held)
            else:
                self._values[dest] = values + 1
                self._add_all(dest, into, held)

    def _own_shape(self, key: ShapeKey, held: list[Observation]) -> None:
        """A held name made a shape of its own, with its calls."""
        self._add_all(key, self._new_shape(key), held)

    def _new_shape(self, key: ShapeKey) -> Endpoint:
        shape = self.shapes[key] = self._new(key[1], key[2], key[0])
        self.samples[key] = {}
        return shape

    def _add_all(self, key: ShapeKey, shape: Endpoint, held: list[Observation]) -> None:
        """Sums calls into a shape, and keeps their concrete paths among its samples."""
        seen = self.samples[key]
        for o in held:
            shape.add(o)
            for concrete in o.samples or (o.path,):
                _keep(seen, concrete, 1)

    def _template(self) -> None:
        """Templates the shapes held, host by host, as the inventory does at the end, and sums each
        into its template's shape."""
        templ = self.templaters(lambda key: key[0])
        for key in [k for k in self.shapes if k[3] is None]:
            host, method = key[0], key[1]
            path = self.template(key, templ[host])
            if self._routes is not None and "{" not in key[2]:
                path = self._routes.same_route(host, method, path) or path
            if path != key[2]:
                self._sum(key, (host, method, path, None))

    def _sum(self, key: ShapeKey, target: ShapeKey, values: bool = True) -> None:
        """Sums a shape into another; with `values`, as one more value of a template."""
        shape, seen = self.shapes.pop(key), self.samples.pop(key)
        into = self.shapes.get(target)
        if into is None:
            into = self._new_shape(target)
        into.absorb(shape)
        taken = self._values.pop(key, 1)
        if values:
            self._values[target] = self._values.get(target, 0) + taken
        mine = self.samples[target]
        for concrete, n in seen.items():
            _keep(mine, concrete, n)


def _keep(seen: dict[str, int], concrete: str, n: int) -> None:
    """Counts `n` calls to a concrete path among a shape's samples, up to `SAMPLE_PATHS` of them."""
    if concrete in seen:
        seen[concrete] += n
    elif len(seen) < SAMPLE_PATHS:
        seen[concrete] = n


class _RouteNode:
    __slots__ = ("ends", "value", "words")

    def __init__(self) -> None:
        self.words: dict[str, _RouteNode] = {}
        self.value: _RouteNode | None = None
        self.ends: dict[str, str] = {}  # method -> the shape's path


class _Routes:
    """The shapes left by a templating, host by host, as a tree of segments. A segment fills a
    parameter only where no shape has it as a word: `/users/me` does not fit `/users/{id}` when
    `/users/me/orders` was seen."""

    def __init__(self, shapes: dict[ShapeKey, Endpoint]) -> None:
        self._trees: dict[str | None, _RouteNode] = {}
        for host, method, path, route in shapes:
            if route is not None:
                continue
            node = self._trees.setdefault(host, _RouteNode())
            for seg in path.split("/"):
                if _WHOLE_PARAM.match(seg):
                    node.value = node = node.value or _RouteNode()
                else:
                    node = node.words.setdefault(seg, _RouteNode())
            node.ends[method] = path

    def route(self, host: str | None, method: str, path: str) -> str | None:
        """The path of the shape `path` fits, if any."""
        node = self._trees.get(host)
        for seg in path.split("/"):
            if node is None:
                return None
            node = node.words.get(seg) or node.value
        return node.ends.get(method) if node is not None else None

    def same_route(self, host: str | None, method: str, template: str) -> str | None:
        """The template shape with the same words and parameters in the same places, whatever
        the parameters are named: one route, one shape."""
        node = self._trees.get(host)
        for seg in template.split("/"):
            if node is None:
                return None
            node = node.value if _WHOLE_PARAM.match(seg) else node.words.get(seg)
        return node.ends.get(method) if node is not None else None
