"""Static files as whitenoise stores them (compressed, each name carrying its content's hash),
with each file's URL worked out once per process.

Django's manifest storage looks a name up in the manifest, then splits, unquotes and joins it
on every ``{% static %}``: a tenth of a millisecond a page for the three files every page links.
The manifest does not change while the process runs, so neither do the URLs; a
``collectstatic`` run in this process (the benchmark's) starts them afresh.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        url = self._urls.get(name)
        if url is None:
            url = self._urls[name] = super().url(name)
        return url

    def post_process(self, *args, **kwargs):
        self._urls.clear()
        yield from super().post_process(*args, **kwargs)
        self._urls.clear()
