"""The framework register: duties, issues, services, partners, activities and evidence as versioned data.

``model`` defines the entries, ``loader`` reads and writes the YAML, ``register`` keeps published
versions in the application database, ``amendments`` proposes and approves changes, ``checks`` finds
gaps, ``queries`` and ``exports`` answer questions and publish.
"""
