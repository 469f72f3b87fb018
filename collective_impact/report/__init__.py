"""The reports: the data of a territory, the evaluation steps, the sentences of findings, notebook execution, HTML export and the batch."""
