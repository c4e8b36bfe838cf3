# Rules for Part 3: ResNet18 and BERT-base (issue 3).
