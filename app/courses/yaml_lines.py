"""YAML loading that remembers line numbers, so problems can name them."""
import yaml


class LineMap(dict):
    """A mapping that knows the line of itself and of each key (1-based)."""

    line: int | None = None

    def __init__(self):
        super().__init__()
        self.key_lines: dict = {}

    def line_of(self, key) -> int | None:
        return self.key_lines.get(key, self.line)


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    mapping = LineMap()
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise DuplicateKeyError(
                problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text: str):
    """Parse YAML; raises yaml.YAMLError (with problem_mark) on bad syntax."""
    return yaml.load(text, Loader=_LineLoader)  # noqa: S506  # nosec B506 - _LineLoader is a SafeLoader subclass
