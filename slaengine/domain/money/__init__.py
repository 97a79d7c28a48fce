"""Money: service credits, earn-back, chronic failure, incentives, continuous improvement.

May import `domain.contract` and the records of `domain.evaluation.results`, nothing else of
evaluation.
"""
