"""A stand-in for Snakemake's named input/output lists, so tests drive job bodies through mlalab.runner."""


class Files(list):
    def __init__(self, *positional, **named):
        super().__init__([*map(str, positional), *map(str, named.values())])
        self._named = {k: str(v) if not isinstance(v, list) else [str(x) for x in v] for k, v in named.items()}
        for k, v in self._named.items():
            setattr(self, k, v)

    def keys(self):
        return self._named.keys()

    def items(self):
        return self._named.items()
