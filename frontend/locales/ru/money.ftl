# Страницы денег: счета, выписки, переводы, договоры, просрочка и портфель.

nav-accounts = Мои счета
nav-my-contracts = Мои договоры
nav-contracts = Договоры
nav-arrears = Просрочка
nav-portfolio = Портфель

page-next = Следующая страница
page-first = Первая страница

accounts-title = Мои счета
accounts-none = У вас пока нет счетов. Текущий счёт открывается после одобрения проверки личности.
accounts-back = К моим счетам
account-number = Номер счёта
account-kind = Вид
account-posted-balance = Остаток
account-available-balance = Доступно
account-kind-client-current = Текущий счёт
account-kind-company-current = Расчётный счёт компании
account-kind-loan = Ссудный счёт
account-kind-grant-fund = Грантовый фонд
account-kind-interest-income = Процентный доход
account-kind-penalty-income = Доход от пени
account-kind-bank-cash = Касса
account-kind-bank-settlement = Расчётный счёт банка

limits-title = Дневной лимит переводов
limit-daily = Дневной лимит
limit-sent-today = Отправлено сегодня
limit-remaining = Осталось на сегодня

statement-title = Выписка по счёту
statement-from = С
statement-to = По
statement-period = Период
statement-opening = Входящий остаток
statement-closing = Исходящий остаток
statement-date = Дата
statement-reference = Назначение
statement-credit = Приход
statement-debit = Расход
statement-balance-after = Остаток после
statement-empty = За этот период операций не было.
statement-download-csv = Скачать CSV
statement-download-pdf = Скачать PDF

transfer-new = Перевести деньги
transfer-title = Перевод на другой счёт
transfer-limit-left = Сегодня вы ещё можете отправить { $remaining } (дневной лимит { $limit }).
transfer-from = Со счёта
transfer-to = На счёт
transfer-to-hint = 20-значный номер счёта получателя.
transfer-amount = Сумма
transfer-quote = Продолжить
transfer-confirm-title = Подтвердите перевод
transfer-fee = Комиссия
transfer-total-debit = Всего будет списано
transfer-expires = Предложение действует до { $time }.
transfer-confirm = Подтвердить и отправить
transfer-change = Изменить
transfer-done-title = Деньги отправлены
transfer-done-text = { $amount } отправлено на счёт { $to }.
transfer-reference = Номер перевода
transfer-see-statement = Посмотреть выписку

my-contracts-title = Мои договоры
contracts-title = Договоры
contracts-none = Договоров пока нет.
contracts-back = К договорам
contract-title = Договор
contract-kind-grant = Грант
contract-kind-loan = Кредит
contract-status-draft = Ожидает вашей подписи
contract-status-signed = Подписан
contract-status-active = Действует
contract-status-closed = Закрыт
contract-status-written-off = Списан
contract-written-off-title = Списание
contract-written-off-principal = Списанный основной долг
contract-recovered = Погашено после списания
contract-still-owed = Осталось погасить
recovery-text = Кредит списан, но долг остаётся. Его можно погашать частями с текущего счёта.
recovery-amount = Сумма к оплате
recovery-pay = Погасить часть долга
contract-status-cancelled = Отменён
contract-cancel-title = Отменить договор
contract-cancel-text = Если деньги больше не нужны, отмените договор до подписания. Ничего не будет выплачено, а бюджет программы освободится для других.
contract-cancel-signed-text = По этому договору ещё ничего не выплачено, поэтому его ещё можно отменить. Комиссия за оформление, уплаченная при подписании, будет полностью возвращена на ваш счёт, а бюджет программы освободится для других.
contract-cancel-reason = Причина отмены
contract-cancel = Отменить договор
contract-term = { $months ->
    [one] { $months } месяц
    [few] { $months } месяца
   *[other] { $months } месяцев
}
contract-term-label = Срок
contract-principal = Сумма
contract-rate = Годовая ставка
contract-disbursement-date = Дата выдачи
contract-first-due-date = Дата первого платежа
contract-penalty = Начисленная пеня
contract-loan-account = Ссудный счёт
contract-sign-text = Подписывая, вы принимаете условия договора и график.
contract-sign = Подписать договор
contract-activate-title = Активировать договор
contract-activate = Активировать
contract-schedule = График погашения
contract-next-due = Следующий платёж: { $amount } до { $date }
contract-due-today = К оплате сегодня
contract-total-payable = Всего к оплате
installment-paid = Оплачено
installment-status-paid = Оплачен
installment-status-overdue = Просрочен
installment-status-due = К оплате сегодня
installment-status-upcoming = Предстоит
days-past-due = просрочка { $days ->
    [one] { $days } день
    [few] { $days } дня
   *[other] { $days } дней
}

repay-due = Оплатить { $amount } сейчас
repay-part-amount = Сумма к оплате сейчас
repay-part-hint = Сначала погашается пеня, затем проценты, затем основной долг; остаток остаётся к оплате.
repay-part = Оплатить часть
repay-early-title = Досрочное погашение
repay-early-amount = Сумма основного долга
repay-early-option = После досрочного погашения
repay-keep-term = Сохранить срок, уменьшить платёж
repay-keep-installment = Сохранить платёж, сократить срок
repay-early = Погасить досрочно

tranches-title = Транши
tranche-status-planned = Запланирован
tranche-status-requested = Запрошен
tranche-status-approved = Одобрен
tranche-status-disbursed = Выплачен
tranche-status-cancelled = Отменён
tranche-request = Запросить выплату
tranche-approve = Одобрить
tranche-disburse = Выплатить

arrears-title = Просрочка
arrears-as-of = На { $date }
arrears-bucket = Дней просрочки
arrears-days = { $bucket } дн.
arrears-contracts = Договоров
arrears-overdue = Просрочено
arrears-contracts-title = Просроченные договоры
arrears-none = Просроченных договоров нет.
arrears-days-past-due = Дней просрочки
arrears-installments = Платежей

portfolio-title = Портфель
portfolio-applications-per-state = Заявки по состояниям
portfolio-approval-rate = Доля одобренных по программам
portfolio-disbursed-per-month = Выплачено по месяцам
portfolio-arrears-per-bucket = Просроченные договоры по срокам просрочки
portfolio-nothing-yet = Пока нечего показать.
portfolio-not-available = Ваша роль не даёт доступа к этим данным.

error-unknown-account = Счёта с таким номером нет.
error-same-account = Выберите счёт, отличный от счёта списания.
error-currency-mismatch = Счета в разных валютах.
error-daily-limit-exceeded = Эта сумма больше, чем вы ещё можете отправить сегодня.
error-insufficient-funds = На счёте недостаточно средств.
error-not-an-amount = Введите сумму, например 1 250 000,00.
error-too-many-decimals = В сумме не больше двух знаков после запятой.
error-not-positive = Сумма должна быть больше нуля.
error-exceeds-outstanding = Сумма больше оставшегося долга.
error-account-number-wrong-length = Номер счёта состоит из 20 цифр.
error-account-number-not-digits = Номер счёта состоит только из цифр.
error-account-number-wrong-check-digit = В номере счёта опечатка: проверьте его.
error-destination-not-current-account = Переводить можно только на текущий счёт.
error-source-not-current-account = Переводить можно только с текущего счёта.
error-period-too-long = Период слишком длинный для одной выгрузки: выберите короче.
error-in-future = Дата не может быть в будущем.

problem-tranche-four-eyes = Вы сами запросили этот транш: одобрить его должен другой сотрудник.
problem-quote-expired = Срок предложения истёк. Начните перевод заново.
problem-confirmation-token-mismatch = Подтверждение не прошло проверку. Начните перевод заново.
problem-quote-already-confirmed = Этот перевод уже отправлен.
problem-daily-limit-exceeded = Эта сумма больше, чем вы ещё можете отправить сегодня.
problem-insufficient-funds = На счёте недостаточно средств.
problem-no-current-account = Нет текущего счёта для оплаты.
problem-payout-not-above-fee = Эта выплата не покрывает удерживаемую из неё комиссию за оформление: первая выплата должна быть больше комиссии.
problem-nothing-due = Сегодня ничего не нужно платить.
problem-installments-due-first = Сначала оплатите текущие платежи, затем погашайте досрочно.
problem-contract-not-active = Договор не действует.
problem-contract-not-written-off = Кредит не списан: погашайте его по графику.
problem-contract-wrong-state = В текущем состоянии договора это невозможно.
problem-tranche-wrong-state = В текущем состоянии транша это невозможно.
problem-schedule-in-repayment = Кредит уже погашается.

transfer-kind-disbursement = Выплата кредита или гранта
transfer-kind-repayment = Погашение
transfer-kind-client-transfer = Перевод
transfer-kind-reversal = Сторно
transfer-kind-adjustment = Корректировка
transfer-kind-deposit = Пополнение
transfer-kind-withdrawal = Снятие
transfer-kind-write-off = Списание кредита
transfer-kind-fee = Комиссия
tranche-note = Комментарий для утверждающего
tranche-milestone-report = Отчёт об этапе
tranche-note-hint = Необязательно: что уже сделано на полученные средства и для чего этот транш.
tranche-note-sent = Отправлено с запросом:
tranche-cancel = Отменить транш
contract-write-off-title = Списать договор
contract-write-off-text = Списание означает, что банк больше не ожидает погашения по этому договору. Его нельзя отменить.
contract-write-off-reason = Причина списания
contract-write-off-confirm = От имени кредитного комитета я списываю этот договор
contract-write-off = Списать
error-write-off-not-confirmed = Отметьте флажок, чтобы подтвердить списание.
contract-write-off-proposed-title = Предложено списание
contract-write-off-proposed-reason = Причина, указанная предложившим сотрудником
contract-write-off-yours = Вы предложили это списание: подтвердить его должен другой сотрудник кредитного комитета.
contract-write-off-confirm-text = Другой сотрудник кредитного комитета предложил списать этот договор. Подтверждение списывает его; это нельзя отменить.
contract-write-off-confirm-button = Подтвердить списание
problem-write-off-four-eyes = Вы сами предложили это списание: подтвердить его должен другой сотрудник кредитного комитета.
error-invalid-reason = Укажите причину, не длиннее 2 000 символов.
error-too-long = Текст слишком длинный: не более 10 000 символов.
arrears-run = Запустить ежедневную обработку
arrears-run-text = Списывает причитающиеся платежи и отмечает просрочки за каждый ещё не обработанный день по сегодняшний. Уже обработанный день повторно не обрабатывается.
arrears-run-done = Ежедневная обработка проверила все даты по { $date } включительно (новых: { $days }).
arrears-run-nothing = Все дни до сегодняшнего уже были проверены; делать было нечего.
nav-loan-book = Кредитный портфель
loan-book-title = Кредитный портфель
loan-book-as-of = Задолженность по кредитам банка на { $date }. Списанные кредиты учтены отдельно.
loan-book-download = Скачать все кредиты (CSV)
loan-book-none = Ни один кредит ещё не выдан.
loan-book-currencies = По валютам
loan-book-programmes = По программам
loan-book-currency = Валюта
loan-book-programme = Программа
loan-book-active = Действующие кредиты
loan-book-outstanding = Остаток основного долга
loan-book-interest-due = Проценты к оплате
loan-book-penalty = Пени
loan-book-late-charges = Начислено штрафов за просрочку (входят в пени)
loan-book-par30 = Под риском свыше 30 дней
loan-book-par90 = Под риском свыше 90 дней
loan-book-written-off = Списано
loan-book-recovered = Возвращено
loan-book-fees-collected = Получено комиссий за оформление
loan-book-months = Выдано и погашено по месяцам
loan-book-month = Месяц
loan-book-disbursed = Выдано
loan-book-repaid-principal = Погашено основного долга
loan-book-repaid-interest = Погашено процентов
loan-book-repaid-penalty = Погашено пени
settlement-title = Досрочное погашение всего кредита
settlement-total = Кредит погашается { $date } суммой { $amount }
settlement-owed-now = Подлежит оплате к этой дате, со штрафами
settlement-remaining-principal = Основной долг, погашаемый досрочно
settlement-accrued-interest = Проценты, начисленные с последней даты платежа
settlement-hint = Это расчёт, а не платёж: он верен, пока все платежи вносятся в срок.
settlement-date = Дата погашения
settlement-quote = Рассчитать сумму
error-before-today = Выберите сегодняшнюю или более позднюю дату.
cash-title = Взносы наличными в кассу
cash-intro = Внесите наличные, принятые на текущий счёт клиента, с номером кассового ордера. Деньги поступят на счёт, когда второй сотрудник подтвердит взнос.
cash-account = Номер текущего счёта клиента
cash-amount = Принятая сумма
cash-receipt-number = Ордер №
cash-receipt-hint = Как напечатано на кассовом ордере: заглавные латинские буквы, цифры и дефисы. Каждый ордер используется один раз.
cash-record = Записать взнос
cash-pending = Ожидают второго сотрудника
cash-pending-none = Нет взносов, ожидающих подтверждения.
cash-own = Этот взнос записали вы: подтверждает другой сотрудник.
cash-confirm = Подтвердить и зачислить
cash-reject = Отклонить
problem-receipt-already-used = Этот номер ордера уже записан с другим взносом; ордер используется один раз.
problem-proposal-already-settled = Этот взнос уже подтверждён или отклонён.
error-invalid-receipt-number = Введите номер ордера как напечатано: заглавные латинские буквы, цифры и дефисы.
error-not-a-current-account = Наличные зачисляются на текущий счёт клиента.
reschedule-title = Реструктуризация кредита
reschedule-text = Кредитные каникулы: ближайшие платежи — только проценты, остальные переносятся позже; увеличение срока распределяет долг на большее число платежей. Наступившие платежи остаются к оплате. Подтверждает сотрудник кредитного комитета, который её не предлагал.
reschedule-kind = Вид реструктуризации
reschedule-payment-holiday = Кредитные каникулы
reschedule-longer-term = Увеличение срока
reschedule-months = Месяцев
reschedule-reason = Основание
reschedule-propose = Предложить реструктуризацию
reschedule-proposed-title = Предложена реструктуризация
reschedule-yours = Вы предложили эту реструктуризацию: подтвердить её должен другой сотрудник кредитного комитета.
reschedule-proposed-rows = Платежи начиная со следующего, если подтвердить сегодня:
reschedule-confirm = Подтвердить реструктуризацию
reschedule-reject = Отклонить реструктуризацию
reschedule-kind-payment-holiday = { $months ->
    [one] кредитные каникулы на { $months } месяц
    [few] кредитные каникулы на { $months } месяца
   *[other] кредитные каникулы на { $months } месяцев
}
reschedule-kind-longer-term = { $months ->
    [one] увеличение срока на { $months } месяц
    [few] увеличение срока на { $months } месяца
   *[other] увеличение срока на { $months } месяцев
}
reschedule-replaced-title = График до реструктуризации ({ $change }) с { $date }
problem-reschedule-four-eyes = Вы сами предложили эту реструктуризацию: подтвердить её должен другой сотрудник кредитного комитета.
problem-reschedule-pending = Реструктуризация этого кредита уже предложена; сначала по ней должно быть принято решение.
problem-nothing-to-reschedule = После сегодняшнего дня платежей нет: реструктурировать нечего.
error-months-out-of-range = Укажите целое число месяцев от 1 до 24.
